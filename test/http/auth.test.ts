import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { presentedSecret, requireToken, tokenMatches } from '../../src/http/auth.js';
import { registerErrorHandling } from '../../src/http/errors.js';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials).toString('base64')}`;

describe('tokenMatches', () => {
  it.each([
    ['secret', 'secret', true],
    ['secret', 'secreT', false],
    ['secret', 'secret2', false],
    ['', 'secret', false],
    ['s'.repeat(10_000), 'secret', false],
  ])('%s vs %s → %s', (presented, token, expected) => {
    expect(tokenMatches(presented, token)).toBe(expected);
  });
});

describe('presentedSecret', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['', undefined],
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['Token abc', undefined],
    [basic('ops:tok'), 'tok'],
    [basic(':tok'), 'tok'],
    [basic('ops:to:k'), 'to:k'],
    [basic('no-colon'), undefined],
    ['Basic %%%not-base64', undefined],
  ])('%s → %s', (header, expected) => {
    expect(presentedSecret(header)).toBe(expected);
  });
});

describe('requireToken', () => {
  async function appWith(token: string | undefined, basicChallenge = false) {
    const app = Fastify();
    registerErrorHandling(app, token === undefined ? [] : [token], pino({ level: 'silent' }));
    app.get('/guarded', { preValidation: requireToken(token, { basicChallenge }) }, async () => 'in');
    await app.ready();
    return app;
  }

  it('lets everyone in when no token is configured', async () => {
    const app = await appWith(undefined);
    expect((await app.inject({ url: '/guarded' })).body).toBe('in');
    await app.close();
  });

  it('also challenges for Basic when asked (the HTML status page), one header line each', async () => {
    const app = await appWith('tok-123456', true);
    const denied = await app.inject({ url: '/guarded' });
    expect(denied.statusCode).toBe(401);
    expect(denied.headers['www-authenticate']).toEqual(['Bearer realm="vitals"', 'Basic realm="vitals", charset="UTF-8"']);
    expect((await app.inject({ url: '/guarded', headers: { authorization: basic('anyone:tok-123456') } })).body).toBe('in');
    expect((await app.inject({ url: '/guarded', headers: { authorization: 'Bearer tok-123456' } })).body).toBe('in');
    await app.close();
  });
});
