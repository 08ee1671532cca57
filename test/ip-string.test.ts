// ip2string.h: the Rtl*StringToAddress / Rtl*AddressToString functions, with C's semantics (the
// Strict flag, the Terminator out-parameter, ports in network order, Windows' IPv6 text). The
// expected values are those Windows gives (Wine's Windows-checked ntdll tests record them).
import {
  IN6_ADDR_FROM_BYTES,
  IN_ADDR,
  RtlIpv4AddressToStringExW,
  RtlIpv4AddressToStringW,
  RtlIpv4StringToAddressA,
  RtlIpv4StringToAddressExW,
  RtlIpv4StringToAddressW,
  RtlIpv6AddressToStringExW,
  RtlIpv6AddressToStringW,
  RtlIpv6StringToAddressExW,
  RtlIpv6StringToAddressW,
  RtlUshortByteSwap,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
} from '../lib';

const bytesOf = (a: IN_ADDR) => [a.s_addr & 0xff, (a.s_addr >>> 8) & 0xff, (a.s_addr >>> 16) & 0xff, a.s_addr >>> 24];
const wide = (buf: Uint16Array, end: number) => String.fromCharCode(...buf.subarray(0, end));

function v4(text: string, strict: boolean) {
  const addr: IN_ADDR = { s_addr: 0xabababab };
  const term = { 0: -1 };
  const status = RtlIpv4StringToAddressW(text, strict, term, addr);
  return { status, term: term[0], bytes: status === STATUS_SUCCESS ? bytesOf(addr) : null };
}

describe('RtlIpv4StringToAddress', () => {
  test('Strict takes four decimal parts, stopping at the first character that cannot continue', () => {
    expect(v4('192.168.1.20', true)).toEqual({ status: STATUS_SUCCESS, term: 12, bytes: [192, 168, 1, 20] });
    expect(v4('1.2.3.4:80', true)).toEqual({ status: STATUS_SUCCESS, term: 7, bytes: [1, 2, 3, 4] });
    expect(v4('1.2.3.4 tail', true)).toMatchObject({ status: STATUS_SUCCESS, term: 7 });
    expect(v4('1.2.3', true)).toMatchObject({ status: STATUS_INVALID_PARAMETER, term: 5 });
    expect(v4('0x1.2.3.4', true).status).toBe(STATUS_INVALID_PARAMETER);
    expect(v4('01.2.3.4', true).status).toBe(STATUS_INVALID_PARAMETER);
    expect(v4('256.1.1.1', true).status).toBe(STATUS_INVALID_PARAMETER);
    expect(v4('1..2.3', true)).toMatchObject({ status: STATUS_INVALID_PARAMETER, term: 3 }); // past the empty part's dot, as Windows
  });

  test('not strict: one to four parts, octal and hex, packed as inet_addr packs them', () => {
    expect(v4('0x7f.1', false).bytes).toEqual([127, 0, 0, 1]);
    expect(v4('127.1', false).bytes).toEqual([127, 0, 0, 1]);
    expect(v4('10.1.258', false).bytes).toEqual([10, 1, 1, 2]);
    expect(v4('3232235777', false).bytes).toEqual([192, 168, 1, 1]);
    expect(v4('010.0.0.1', false).bytes).toEqual([8, 0, 0, 1]);
    expect(v4('08.0.0.1', false).status).toBe(STATUS_INVALID_PARAMETER);
    expect(v4('1.2.3.4.5', false)).toMatchObject({ status: STATUS_SUCCESS, term: 7 });
    expect(v4('4294967296', false).status).toBe(STATUS_INVALID_PARAMETER);
    expect(v4('1.256.3', false).status).toBe(STATUS_INVALID_PARAMETER);
  });

  test('the A form is the same function over the same text', () => {
    const addr = { s_addr: 0 };
    const term = { 0: 0 };
    expect(RtlIpv4StringToAddressA('127.0.0.1', true, term, addr)).toBe(STATUS_SUCCESS);
    expect(addr.s_addr).toBe(0x0100007f);
  });

  test('Ex: the whole string, an optional non-zero port in network order', () => {
    const addr = { s_addr: 0 };
    const port = { 0: -1 };
    expect(RtlIpv4StringToAddressExW('10.0.0.1:8080', true, addr, port)).toBe(STATUS_SUCCESS);
    expect(bytesOf(addr)).toEqual([10, 0, 0, 1]);
    expect(port[0]).toBe(RtlUshortByteSwap(8080));
    expect(RtlIpv4StringToAddressExW('10.0.0.1', true, addr, port)).toBe(STATUS_SUCCESS);
    expect(port[0]).toBe(0);
    expect(RtlIpv4StringToAddressExW('10.0.0.1:0', true, addr, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv4StringToAddressExW('10.0.0.1:65536', true, addr, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv4StringToAddressExW('10.0.0.1 ', true, addr, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv4StringToAddressExW(null as unknown as string, true, addr, port)).toBe(STATUS_INVALID_PARAMETER);
  });
});

function v6(text: string) {
  const addr = IN6_ADDR_FROM_BYTES();
  const term = { 0: -1 };
  const status = RtlIpv6StringToAddressW(text, term, addr);
  return { status, term: term[0], words: Array.from({ length: 8 }, (_, i) => (addr.u.Byte[2 * i] << 8) | addr.u.Byte[2 * i + 1]) };
}

describe('RtlIpv6StringToAddress', () => {
  test('full, compressed and IPv4-tailed forms; the terminator is where parsing stopped', () => {
    expect(v6('2001:db8::1')).toEqual({ status: STATUS_SUCCESS, term: 11, words: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] });
    expect(v6('::')).toMatchObject({ status: STATUS_SUCCESS, term: 2, words: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(v6('1::')).toMatchObject({ status: STATUS_SUCCESS, term: 3, words: [1, 0, 0, 0, 0, 0, 0, 0] });
    expect(v6('1:2:3:4:5:6:7:8')).toMatchObject({ status: STATUS_SUCCESS, term: 15, words: [1, 2, 3, 4, 5, 6, 7, 8] });
    expect(v6('::ffff:192.168.0.1')).toMatchObject({ status: STATUS_SUCCESS, words: [0, 0, 0, 0, 0, 0xffff, 0xc0a8, 1] });
    expect(v6('fe80::1%4')).toMatchObject({ status: STATUS_SUCCESS, term: 7 });
    expect(v6('1:2:3')).toMatchObject({ status: STATUS_INVALID_PARAMETER });
    expect(v6('1::2::3').status).toBe(STATUS_INVALID_PARAMETER);
    expect(v6('12345::').status).toBe(STATUS_INVALID_PARAMETER);
    expect(v6(':1::').status).toBe(STATUS_INVALID_PARAMETER);
  });

  test('Ex: scope and bracketed port, the whole string', () => {
    const addr = IN6_ADDR_FROM_BYTES();
    const scope = { 0: -1 };
    const port = { 0: -1 };
    expect(RtlIpv6StringToAddressExW('[fe80::1%4]:443', addr, scope, port)).toBe(STATUS_SUCCESS);
    expect([addr.u.Byte[0], addr.u.Byte[1], addr.u.Byte[15], scope[0], port[0]]).toEqual([0xfe, 0x80, 1, 4, RtlUshortByteSwap(443)]);
    expect(RtlIpv6StringToAddressExW('::1', addr, scope, port)).toBe(STATUS_SUCCESS);
    expect([scope[0], port[0]]).toEqual([0, 0]);
    expect(RtlIpv6StringToAddressExW('[::1]', addr, scope, port)).toBe(STATUS_SUCCESS);
    expect(RtlIpv6StringToAddressExW('[::1', addr, scope, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv6StringToAddressExW('::1]:80', addr, scope, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv6StringToAddressExW('[::1]:0', addr, scope, port)).toBe(STATUS_INVALID_PARAMETER);
    expect(RtlIpv6StringToAddressExW('::1 x', addr, scope, port)).toBe(STATUS_INVALID_PARAMETER);
  });
});

describe('Rtl*AddressToString', () => {
  test('IPv4: the text and the index of its NUL; Ex adds the port and reports the size needed', () => {
    const buf = new Uint16Array(22);
    const end = RtlIpv4AddressToStringW({ s_addr: 0x0100007f }, buf);
    expect([wide(buf, end), buf[end]]).toEqual(['127.0.0.1', 0]);
    const len = { 0: buf.length };
    expect(RtlIpv4AddressToStringExW({ s_addr: 0x0100007f }, RtlUshortByteSwap(80), buf, len)).toBe(STATUS_SUCCESS);
    expect([wide(buf, len[0] - 1), len[0]]).toEqual(['127.0.0.1:80', 13]);
    len[0] = 5;
    expect(RtlIpv4AddressToStringExW({ s_addr: 0x0100007f }, 0, buf, len)).toBe(STATUS_INVALID_PARAMETER);
    expect(len[0]).toBe(10);
  });

  test("IPv6: Windows' text (first longest zero run, no single-group ::, embedded IPv4 forms)", () => {
    const text = (words: number[], scope = 0, port = 0) => {
      const addr = IN6_ADDR_FROM_BYTES(words.flatMap((w) => [w >> 8, w & 0xff]));
      const buf = new Uint16Array(65);
      const len = { 0: buf.length };
      if (scope || port) {
        expect(RtlIpv6AddressToStringExW(addr, scope, RtlUshortByteSwap(port), buf, len)).toBe(STATUS_SUCCESS);
        return wide(buf, len[0] - 1);
      }
      return wide(buf, RtlIpv6AddressToStringW(addr, buf));
    };
    expect(text([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1])).toBe('2001:db8::1');
    expect(text([0, 0, 0, 0, 0, 0, 0, 0])).toBe('::');
    expect(text([0, 0, 0, 0, 0, 0, 0, 1])).toBe('::1');
    expect(text([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
    expect(text([1, 0, 0, 2, 0, 0, 3, 4])).toBe('1::2:0:0:3:4');
    expect(text([0, 0, 0, 0, 0, 0xffff, 0xc0a8, 0x0001])).toBe('::ffff:192.168.0.1');
    expect(text([0, 0, 0, 0, 0, 0, 0x0a00, 0x0001])).toBe('::10.0.0.1');
    expect(text([0, 0, 0, 0, 0xffff, 0, 0x0102, 0x0304])).toBe('::ffff:0:1.2.3.4');
    expect(text([0xfe80, 0, 0, 0, 0, 0x5efe, 0x0a00, 0x0001])).toBe('fe80::5efe:10.0.0.1');
    expect(text([0xfe80, 0, 0, 0, 0, 0, 0, 1], 4, 443)).toBe('[fe80::1%4]:443');
    expect(text([0xfe80, 0, 0, 0, 0, 0, 0, 1], 4)).toBe('fe80::1%4');
  });

  test('a round trip: every text a parse accepts prints back the same (canonical forms)', () => {
    for (const t of ['::1', '2001:db8::ff00:42:8329', '::ffff:10.1.2.3', 'fe80::1:2', '1:2:3:4:5:6:7:8']) {
      const addr = IN6_ADDR_FROM_BYTES();
      expect(RtlIpv6StringToAddressW(t, { 0: 0 }, addr)).toBe(STATUS_SUCCESS);
      const buf = new Uint16Array(46);
      expect(wide(buf, RtlIpv6AddressToStringW(addr, buf))).toBe(t);
    }
  });
});
