import { describe, expect, it } from 'vitest';
import { SCRAM_SHA_256, SCRAM_SHA_256_PLUS, ScramClient, ScramError } from './scram-client.js';

const binding = Buffer.alloc(32, 7);

function nonceOf(clientFirst: Buffer): string {
  return /r=([^,]+)$/.exec(clientFirst.toString())?.[1] ?? '';
}

async function codeOf(step: () => unknown): Promise<string | null> {
  try {
    await step();
    return null;
  } catch (err) {
    return err instanceof ScramError ? err.code : 'OTHER';
  }
}

describe('ScramClient', () => {
  it('chooses -PLUS with tls-server-end-point when it has binding data and the server offers it', () => {
    const { mechanism, clientFirst } = new ScramClient(Buffer.from('pw'), binding).start([
      SCRAM_SHA_256_PLUS,
      SCRAM_SHA_256,
    ]);
    expect(mechanism).toBe(SCRAM_SHA_256_PLUS);
    expect(clientFirst.toString()).toMatch(/^p=tls-server-end-point,,n=,r=/);
  });

  it("says 'y' when it could bind but the server offers no -PLUS, 'n' when it cannot", () => {
    expect(new ScramClient(Buffer.from('pw'), binding).start([SCRAM_SHA_256]).clientFirst.toString()).toMatch(
      /^y,,n=,r=/,
    );
    expect(
      new ScramClient(Buffer.from('pw'), null).start([SCRAM_SHA_256_PLUS, SCRAM_SHA_256]).clientFirst.toString(),
    ).toMatch(/^n,,n=,r=/);
  });

  it('refuses a server without SCRAM-SHA-256', async () => {
    expect(await codeOf(() => new ScramClient(Buffer.from('pw'), null).start(['OTHER']))).toBe('SCRAM_NO_MECHANISM');
  });

  it('refuses bad server-first messages: foreign nonce, no salt, absurd iteration counts', async () => {
    const cases = (nonce: string) => [
      `r=someone-else,s=c2FsdA==,i=4096`,
      `r=${nonce}x,i=4096`,
      `r=${nonce}x,s=c2FsdA==,i=0`,
      `r=${nonce}x,s=c2FsdA==,i=100000000`,
      `r=${nonce},s=c2FsdA==,i=4096`,
    ];
    for (let i = 0; i < 5; i++) {
      const client = new ScramClient(Buffer.from('pw'), null);
      const nonce = nonceOf(client.start([SCRAM_SHA_256]).clientFirst);
      expect(await codeOf(() => client.respond(Buffer.from(cases(nonce)[i] as string)))).toBe(
        'SCRAM_BAD_SERVER_MESSAGE',
      );
    }
  });

  it('binds the channel in c= and refuses a wrong server signature or a server error', async () => {
    const client = new ScramClient(Buffer.from('pw'), binding);
    const nonce = nonceOf(client.start([SCRAM_SHA_256_PLUS]).clientFirst);
    const final = (await client.respond(Buffer.from(`r=${nonce}srv,s=c2FsdA==,i=4096`))).toString();
    const c = /^c=([^,]+),r=([^,]+),p=([^,]+)$/.exec(final);
    expect(
      Buffer.from(c?.[1] ?? '', 'base64').equals(Buffer.concat([Buffer.from('p=tls-server-end-point,,'), binding])),
    ).toBe(true);
    expect(c?.[2]).toBe(`${nonce}srv`);
    expect(await codeOf(() => client.verify(Buffer.from(`v=${Buffer.alloc(32).toString('base64')}`)))).toBe(
      'SCRAM_SERVER_SIGNATURE_MISMATCH',
    );
    expect(await codeOf(() => client.verify(Buffer.from('e=invalid-proof')))).toBe('SCRAM_SERVER_ERROR');
  });
});
