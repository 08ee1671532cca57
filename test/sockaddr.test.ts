import {
  AF_INET,
  AF_INET6,
  INADDR_LOOPBACK,
  NT_SUCCESS,
  RtlUlongByteSwap,
  RtlUshortByteSwap,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED,
  STATUS_CONNECTION_RESET,
  STATUS_EVENT_PENDING,
  STATUS_PENDING,
  sockaddrFromString,
  sockaddrToString,
  ntStatusFromErrno,
  ntStatusName,
} from '../lib';
import { native, NETADDR_SIZE } from '../lib/transport/native';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../lib/transport/netaddr';

describe('SOCKADDR', () => {
  test('SOCKADDR_IN keeps C byte order: port and address in network order', () => {
    const sa = sockaddrFromString('127.0.0.1', 40007) as SOCKADDR_IN;
    expect(sa.sin_family).toBe(AF_INET);
    expect(sa.sin_port).toBe(RtlUshortByteSwap(40007));
    expect(sa.sin_addr.s_addr).toBe(RtlUlongByteSwap(INADDR_LOOPBACK));
    expect(sa.sin_zero).toEqual(new Uint8Array(8));
  });

  test('SOCKADDR_IN6: the Byte and Word views share the same bytes', () => {
    const sa = sockaddrFromString('::1', 80) as SOCKADDR_IN6;
    expect(sa.sin6_family).toBe(AF_INET6);
    expect(sa.sin6_addr.u.Byte[15]).toBe(1);
    expect(sa.sin6_addr.u.Word[7]).toBe(RtlUshortByteSwap(1));
  });

  test.each([
    ['127.0.0.1', 1, '127.0.0.1:1'],
    ['::1', 443, '[::1]:443'],
    ['fe80::1%3', 8, '[fe80::1%3]:8'],
    ['2001:db8:0:0:1:0:0:1', 9, '[2001:db8::1:0:0:1]:9'],
    ['::ffff:10.1.2.3', 10, '[::ffff:10.1.2.3]:10'],
    ['1:2:3:4:5:6:7:8', 11, '[1:2:3:4:5:6:7:8]:11'],
  ])('text round trip %s', (text, port, expected) => {
    expect(sockaddrToString(sockaddrFromString(text, port))).toBe(expected);
  });

  test.each(['localhost', '1.2.3', '256.1.1.1', '1::2::3', '12345::'])('rejects %s', (text) => {
    expect(() => sockaddrFromString(text, 0)).toThrow(TypeError);
  });

  test('NETADDR translation round-trips both families', () => {
    for (const sa of [sockaddrFromString('10.0.0.1', 5), sockaddrFromString('fe80::2%7', 6)]) {
      const family = 'sin_family' in sa ? AF_INET : AF_INET6;
      const net = sockaddrToNetaddr(sa, family)!;
      expect(net.byteLength).toBe(NETADDR_SIZE);
      const back = {};
      netaddrToSockaddr(net, back);
      expect(back).toEqual(sa);
    }
  });

  test('a SOCKADDR of the wrong family does not translate', () => {
    expect(sockaddrToNetaddr(sockaddrFromString('::1', 1), AF_INET)).toBeNull();
    expect(sockaddrToNetaddr({}, AF_INET)).toBeNull();
  });
});

describe('NTSTATUS', () => {
  test('NT_SUCCESS follows the sign of the LONG', () => {
    expect(NT_SUCCESS(STATUS_PENDING)).toBe(true);
    expect(NT_SUCCESS(STATUS_EVENT_PENDING)).toBe(true);
    expect(NT_SUCCESS(STATUS_BUFFER_OVERFLOW)).toBe(false);
    expect(NT_SUCCESS(STATUS_CANCELLED)).toBe(false);
    expect(STATUS_CANCELLED).toBe(0xc0000120);
  });

  test('errno maps through the one table', () => {
    expect(ntStatusFromErrno(-native.errno.ECONNRESET)).toBe(STATUS_CONNECTION_RESET);
    expect(ntStatusFromErrno('EPIPE')).toBe(STATUS_CONNECTION_RESET);
    expect(ntStatusName(STATUS_CANCELLED)).toBe('STATUS_CANCELLED (0xC0000120)');
  });
});
