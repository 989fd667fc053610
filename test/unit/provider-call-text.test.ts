import { messageOf, scrubKey, underV1 } from '../../src/provider-calls/protocols/provider-http';
import { refusalText, timedOutText } from '../../src/provider-calls/provider-call.service';
import { OutboundError } from '../../src/outbound';

const KEY = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWx1234';

describe('scrubKey: no key, whole or in part, survives', () => {
  it.each([
    [`Incorrect API key provided: ${KEY}.`, 'Incorrect API key provided: [redacted]'],
    [
      'Incorrect API key provided: sk-pro**********************1234. You can find it',
      'Incorrect API key provided: [redacted] You can find it',
    ],
    [`token ${KEY.slice(3, 20)} refused`, 'token [redacted] refused'],
    [`quoted "${KEY}"`, 'quoted "[redacted]"'],
  ])('%s', (text, start) => {
    const out = scrubKey(text, [KEY]);
    expect(out.startsWith(start)).toBe(true);
    expect(out).not.toContain(KEY);
    expect(out).not.toContain(KEY.slice(0, 10));
    expect(out).not.toContain(KEY.slice(8, 16));
    expect(out).not.toContain('****');
  });

  it('leaves ordinary text alone', () => {
    expect(scrubKey('The model `gpt-4o` does not exist', [KEY])).toBe('The model `gpt-4o` does not exist');
    expect(scrubKey('no key given', [])).toBe('no key given');
  });
});

describe('messageOf: the provider message from its error body', () => {
  it.each([
    ['{"error":{"message":"bad key","type":"invalid_request_error"}}', 'bad key'],
    ['{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}', 'invalid x-api-key'],
    ['{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}', 'API key not valid.'],
    ['{"detail":"Model not found"}', 'Model not found'],
    ['{"error":"plain"}', 'plain'],
    ['<html>\n  Bad   gateway\n</html>', '<html> Bad gateway </html>'],
  ])('%s', (body, message) => expect(messageOf(body)).toBe(message));
});

describe('texts', () => {
  it('the timed-out text says the configured bound in seconds', () => {
    expect(timedOutText(10000)).toBe('Connection timed out after 10 seconds. Please check your network connection and provider status.');
    expect(timedOutText(1500)).toBe('Connection timed out after 1.5 seconds. Please check your network connection and provider status.');
  });

  it('a refusal names the address and how to allow it', () => {
    const own = new OutboundError(
      'refused',
      'Refused to connect to 10.0.0.5: set OUTBOUND_ALLOW=10.0.0.5 (or a CIDR) to allow it',
      '10.0.0.5',
    );
    expect(refusalText(own)).toBe(own.message);
    const bare = refusalText(new OutboundError('refused', 'Refused to connect to db.internal', '10.0.0.5'));
    expect(bare).toContain('10.0.0.5');
    expect(bare).toContain('OUTBOUND_ALLOW');
  });

  it('underV1 adds /v1 once', () => {
    expect(underV1('https://api.anthropic.com', '/messages')).toBe('https://api.anthropic.com/v1/messages');
    expect(underV1('https://api.anthropic.com/v1', '/messages')).toBe('https://api.anthropic.com/v1/messages');
  });
});
