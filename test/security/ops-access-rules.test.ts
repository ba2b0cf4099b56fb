import assert from 'node:assert/strict';
import type http from 'node:http';
import { test } from 'node:test';
import { hostAllowed, isLoopback, sameOrigin } from '../../src/services/ops-access.ts';

test('loopback is every address of 127.0.0.0/8, ::1 and localhost; nothing else', () => {
  for (const h of [
    '127.0.0.1',
    '127.0.0.2',
    '127.255.255.254',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    'localhost',
    '::ffff:127.0.0.1',
  ])
    assert.equal(isLoopback(h), true, h);
  for (const h of [
    '0.0.0.0',
    '::',
    '10.0.0.1',
    '128.0.0.1',
    'evil.example',
    'localhost.evil.example',
    '127.0.0.1.nip.io',
    '',
    '::2',
  ])
    assert.equal(isLoopback(h), false, h);
  assert.equal(hostAllowed('127.0.0.2', 'evil.example'), false);
  assert.equal(hostAllowed('127.0.0.2', 'evil.example:9464'), false);
  assert.equal(hostAllowed('127.0.0.2', undefined), false);
  assert.equal(hostAllowed('127.0.0.2', '127.0.0.2:9464'), true);
  assert.equal(hostAllowed('::1', '[::1]:9464'), true);
  assert.equal(hostAllowed('localhost', 'localhost:1'), true);
  assert.equal(
    hostAllowed('0.0.0.0', 'evil.example'),
    true,
    'a non-loopback bind cannot know its names: tokens guard it',
  );
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464' })), true, 'no Origin: curl, hft db query');
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://127.0.0.1:9464' })), true);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://evil.example' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://127.0.0.1:9465' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'null' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', 'sec-fetch-site': 'cross-site' })), false);
});
