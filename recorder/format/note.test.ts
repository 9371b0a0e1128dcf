// Known answers from ../shared/vectors/transparency-log-vectors.md, sections D and E (golang/mod, C2SP, transparency-dev/formats).
import { describe, expect, test } from 'vitest';
import { nodeSha256 } from '../node-sha256.js';
import { signNote } from '../note-signer.js';
import { parseSigningKey } from '../signing-key.js';
import { encodeBase64 } from './base64.js';
import { formatCheckpoint, parseCheckpoint } from './checkpoint.js';
import { leafHash } from './merkle.js';
import { openNote, parseNoteUnverified, parseVerifierKey } from './note.js';

const peterSkey = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const peterVkey = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const enochVkey = 'EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop';
const text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const peterSig =
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';
const enochSig =
  '\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n';

describe('signed notes (C2SP signed-note, Go sumdb/note)', () => {
  test('the Go skey signs the PeterNeumann note byte for byte', () => {
    const key = parseSigningKey(peterSkey);
    expect(key.verifierKey).toBe(peterVkey);
    expect(signNote(text, key)).toBe(`${text}\n${peterSig}`);
  });

  test('a doubly signed note verifies with either key and records the other as unverified', () => {
    const note = `${text}\n${peterSig}${enochSig}`;
    const peter = parseVerifierKey(peterVkey);
    const enoch = parseVerifierKey(enochVkey);
    expect(openNote(note, [peter]).verified.map((s) => s.name)).toEqual(['PeterNeumann']);
    expect(openNote(note, [peter]).unverified.map((s) => s.name)).toEqual(['EnochRoot']);
    expect(openNote(note, [peter, enoch]).verified).toHaveLength(2);
    expect(openNote(note, [enoch]).text).toBe(text);
  });

  test('the C2SP example note verifies', () => {
    const vkey = parseVerifierKey('example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k');
    const note =
      'This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n';
    expect(openNote(note, [vkey]).text).toBe('This is an example message.\n');
  });

  test('the production sum.golang.org checkpoint and its cosigners verify, and its body parses', () => {
    const body = 'go.sum database tree\n6476701\nmb8QLQIs0Z0yP5Cstq6guj87oXWeC9gEM8oVikmm9Wk=\n';
    const signers = [
      [
        'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8',
        'sum.golang.org Az3grsLX85Gz+s1SiTbgkuqxgItqFq7gsMUEyVnrsa9LM7Us9S+1xbFIGu95949rj4nPRYfvimWEPWL+o3GeoWwOoAw=',
      ],
      [
        'monkeys+db4d9f7e+AULaJMvTtDLHPUcUrjdDad9vDlh/PTfC2VV60JUtCfWT',
        'monkeys 202ffh9ve46Mqbhuyb4wnC2Pwdan5EsXQym/tF1ggXJqhjGosU4T5intH4iKMRgDLxrnXuIjRaU2NbvAnaepM6Y+8ww=',
      ],
      [
        'bananas+cf639f13+AaPjhFnPCQnid/Ql32KWhmh+uk72FVRfK+2DLmO3BI3M',
        'bananas z2OfE+2bbsBZ7NLgfuslc0v7NFW2QyexJ7fhePpoL2N/P7N/COd5S+JNHbQEAlYzz2C5sg0E+x/MggS1mDR6t3/9rQw=',
      ],
      [
        'witness+f13a86db+AdYV1Ztajd9BvyjP2HgpwrqYL6TjOwIjGMOq8Bu42xbN',
        'witness 8TqG25yWGFLdT7WPf/WoyeG3LwqtkXP+8S3yykOVm6EMh4hPgCke6eSVPU4BdtXNMPJBXKF+UpDbGgCdcpR8SVSoqAU=',
      ],
    ] as const;
    const note = `${body}\n${signers.map(([, sig]) => `\u2014 ${sig}\n`).join('')}`;
    const opened = openNote(
      note,
      signers.map(([vkey]) => parseVerifierKey(vkey)),
    );
    expect(opened.verified).toHaveLength(4);
    const checkpoint = parseCheckpoint(opened.text);
    expect(checkpoint).toMatchObject({ origin: 'go.sum database tree', size: 6476701 });
  });

  test('Go tlog golden tree note (section D)', () => {
    const hash = leafHash(nodeSha256, Buffer.from('hello world'));
    expect(encodeBase64(hash)).toBe('TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=');
    expect(formatCheckpoint('go.sum database tree', 123456789012, hash)).toBe(
      'go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n',
    );
  });

  test('every substring and every single-byte increment of the vkey is rejected', () => {
    for (let i = 0; i < peterVkey.length; i++) {
      for (let j = i; j <= peterVkey.length; j++) {
        if (i === 0 && j === peterVkey.length) continue;
        expect(() => parseVerifierKey(peterVkey.slice(i, j))).toThrow();
      }
      const bumped = peterVkey.slice(0, i) + String.fromCharCode(peterVkey.charCodeAt(i) + 1) + peterVkey.slice(i + 1);
      expect(() => parseVerifierKey(bumped)).toThrow();
    }
  });

  test('every substring and single-byte increment of the skey is rejected', () => {
    for (let i = 0; i < peterSkey.length; i++) {
      const bumped = peterSkey.slice(0, i) + String.fromCharCode(peterSkey.charCodeAt(i) + 1) + peterSkey.slice(i + 1);
      expect(() => parseSigningKey(bumped)).toThrow();
      expect(() => parseSigningKey(peterSkey.slice(0, i))).toThrow();
      if (i > 0) expect(() => parseSigningKey(peterSkey.slice(i))).toThrow();
    }
  });

  test('wrong-length and unknown-algorithm keys are rejected with their codes', () => {
    expect(() =>
      parseVerifierKey('PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=='),
    ).toThrow();
    expect(() => parseVerifierKey('PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(
      expect.objectContaining({ code: 'VERIFY_KEY_ALGORITHM_UNKNOWN' }),
    );
  });

  test('malformed notes are rejected', () => {
    const peter = [parseVerifierKey(peterVkey)];
    const sig = peterSig;
    expect(() => openNote(`${text}\n${sig.repeat(101)}`, peter)).toThrow(
      expect.objectContaining({ code: 'VERIFY_NOTE_MALFORMED' }),
    );
    expect(() => openNote(`${text}${sig}`, peter)).toThrow(); // no blank line
    expect(() => openNote(`${text}\n${sig.slice(0, -1)}`, peter)).toThrow(); // no final newline
    expect(() => openNote(`\u0001${text}\n${sig}`, peter)).toThrow(); // control character
    expect(() => openNote(`${text}\n`, peter)).toThrow(); // no signature
    expect(() => parseNoteUnverified(`${text}\n\u2014 PeterNeumann !!!!\n`)).toThrow();
  });

  test('a tampered text or a signature by an unknown key is refused', () => {
    const peter = [parseVerifierKey(peterVkey)];
    expect(() => openNote(`${text.replace('answer', 'Answer')}\n${peterSig}`, peter)).toThrow(
      expect.objectContaining({ code: 'VERIFY_NOTE_SIGNATURE_INVALID' }),
    );
    expect(() => openNote(`${text}\n${enochSig}`, peter)).toThrow(
      expect.objectContaining({ code: 'VERIFY_NOTE_UNVERIFIED' }),
    );
  });
});
