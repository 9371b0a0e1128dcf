/**
 * Segment files are named after the index of their first record, zero-padded so that name order
 * is index order: `segment-000000000000.jsonl`, `segment-000000120417.jsonl`, ...
 */

const pattern = /^segment-(\d{12})\.jsonl$/;

/** The file name of the segment whose first record has this index. */
export function segmentName(firstIndex: number): string {
  return `segment-${String(firstIndex).padStart(12, '0')}.jsonl`;
}

/** The first index a segment file name declares, or null when the name is not a segment name. */
export function parseSegmentName(name: string): number | null {
  const match = pattern.exec(name);
  return match === null ? null : Number(match[1]);
}
