import { expect, test } from 'vitest';
import { witnessLabels } from './witness-metrics.js';

const stats = (vkey: string) => ({ vkey, size: null, requests: 0, cosigned: 0, conflicts: 0, failures: 0, alarms: 0 });

test('a witness is labelled by the name of its vkey; names two witnesses share get their position', () => {
  expect(witnessLabels([stats('w.example/a+1234abcd+AAAA'), stats('w.example/b+5678abcd+BBBB')])).toEqual([
    'w.example/a',
    'w.example/b',
  ]);
  expect(witnessLabels([stats('same+1234abcd+AAAA'), stats('other+1+B'), stats('same+5678abcd+CCCC')])).toEqual([
    'same#0',
    'other',
    'same#2',
  ]);
});
