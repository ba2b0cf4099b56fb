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
  assert.equal(hostAllowed('localhost', 'localhost.:1'), true);
  const req = (headers: Record<string, string>) => ({ headers }) as unknown as http.IncomingMessage;
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464' })), true, 'no Origin: curl, hft db query');
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://127.0.0.1:9464' })), true);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://evil.example' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'http://127.0.0.1:9465' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', origin: 'null' })), false);
  assert.equal(sameOrigin(req({ host: '127.0.0.1:9464', 'sec-fetch-site': 'cross-site' })), false);
});

test('every bind serves only names that are its own: a DNS-rebinding Host is refused on 0.0.0.0 too', () => {
  assert.equal(hostAllowed('127.0.0.1', '10.0.0.5:9464'), false, 'a loopback bind answers to loopback only');
  // Any other bind is reached on loopback and this machine's own addresses too: a rebinding page
  // (its own name as Host) gets nothing there either; addresses and the names given are served.
  const names = new Set(['trading01.example.com', 'trading01']);
  for (const bind of ['0.0.0.0', '::', '10.0.0.5']) {
    assert.equal(hostAllowed(bind, 'evil.example', names), false, bind);
    assert.equal(hostAllowed(bind, 'evil.example:9464', names), false, bind);
    assert.equal(hostAllowed(bind, 'trading01.example.com.evil.example', names), false, bind);
    assert.equal(hostAllowed(bind, undefined, names), false, bind);
    assert.equal(hostAllowed(bind, '10.0.0.5:9464', names), true, bind);
    assert.equal(hostAllowed(bind, '[fe80::1]:9464', names), true, bind);
    assert.equal(hostAllowed(bind, '127.0.0.1:9464', names), true, bind);
    assert.equal(hostAllowed(bind, 'Trading01.Example.com:9464', names), true, bind);
    assert.equal(hostAllowed(bind, 'trading01', names), true, bind);
  }
  assert.equal(hostAllowed('127.0.0.1', 'trading01:9464', names), true, 'a name given is served on any bind');
});
