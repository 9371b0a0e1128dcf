import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from './bucket-histogram.js';

describe('BucketHistogram', () => {
  it('prints cumulative buckets, +Inf, sum and count in the Prometheus text format', async () => {
    const registry = new Registry();
    const h = new BucketHistogram('t_seconds', 'test.', [0.1, 1]);
    h.register(registry);
    for (const v of [0.05, 0.1, 0.5, 2]) h.observe(v);
    expect(await registry.metrics()).toBe(
      [
        '# HELP t_seconds test.',
        '# TYPE t_seconds histogram',
        't_seconds_bucket{le="0.1"} 2',
        't_seconds_bucket{le="1"} 3',
        't_seconds_bucket{le="+Inf"} 4',
        't_seconds_sum 2.65',
        't_seconds_count 4',
        '',
      ].join('\n'),
    );
  });
});
