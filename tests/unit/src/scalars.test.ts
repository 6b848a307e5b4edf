import { Kind, parseValue } from 'graphql';
import { CounterError } from '../../../src/errors';
import { DateTimeScalar, LongScalar, parseDateTime, parseLong } from '../../../src/scalars';

const badInput = (fn: () => unknown): void => {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(CounterError);
  expect((caught as CounterError).code).toBe('BAD_USER_INPUT');
};

describe('Long', () => {
  it('parses digit strings over the whole signed 64-bit range exactly', () => {
    expect(parseLong('0')).toBe(0n);
    expect(parseLong('-1')).toBe(-1n);
    expect(parseLong('9007199254740993')).toBe(9007199254740993n);
    expect(parseLong('9223372036854775807')).toBe(9223372036854775807n);
    expect(parseLong('-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it.each(['', ' 1', '1 ', '+1', '01', '1e3', '1.5', '1.0', '0x10', '--1', '-', 'NaN', '١٢', '9223372036854775808', '-9223372036854775809'])(
    'refuses the string %j',
    (s) => badInput(() => parseLong(s)),
  );

  it('accepts safe-integer numbers and refuses others', () => {
    expect(parseLong(42)).toBe(42n);
    expect(parseLong(-9007199254740991)).toBe(-9007199254740991n);
    for (const n of [1.5, 9007199254740992, -9007199254740992, NaN, Infinity, 1e300]) badInput(() => parseLong(n));
  });

  it('refuses other types', () => {
    for (const v of [null, undefined, true, {}, [1]]) badInput(() => parseLong(v));
  });

  it('literals: strings and safe Int literals; floats, big ints, booleans refused', () => {
    expect(LongScalar.parseLiteral(parseValue('"9223372036854775807"'))).toBe(9223372036854775807n);
    expect(LongScalar.parseLiteral(parseValue('-12'))).toBe(-12n);
    badInput(() => LongScalar.parseLiteral(parseValue('9007199254740993')));
    badInput(() => LongScalar.parseLiteral(parseValue('1e3')));
    badInput(() => LongScalar.parseLiteral(parseValue('1.5')));
    badInput(() => LongScalar.parseLiteral(parseValue('true')));
    badInput(() => LongScalar.parseLiteral(parseValue('""')));
  });

  it('serializes to base-10 strings', () => {
    expect(LongScalar.serialize(-9223372036854775808n)).toBe('-9223372036854775808');
    expect(LongScalar.serialize(5)).toBe('5');
    expect(() => LongScalar.serialize(1.5)).toThrow();
  });
});

describe('DateTime', () => {
  it.each([
    ['2024-10-05T14:48:00Z', '2024-10-05T14:48:00.000Z'],
    ['2024-10-05T14:48:00.123Z', '2024-10-05T14:48:00.123Z'],
    ['2024-10-05T14:48:00.1Z', '2024-10-05T14:48:00.100Z'],
    ['2024-10-05T14:48:00.123456789Z', '2024-10-05T14:48:00.123Z'],
    ['2024-10-05T16:48:00+02:00', '2024-10-05T14:48:00.000Z'],
    ['2024-10-05T09:18:00-05:30', '2024-10-05T14:48:00.000Z'],
    ['2024-10-05t14:48:00z', '2024-10-05T14:48:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('parses %s', (s, iso) => {
    expect(parseDateTime(s).toISOString()).toBe(iso);
  });

  it.each([
    '2024-10-05T14:48:00', // no zone
    '2024-10-05 14:48:00Z',
    '2024-10-05',
    '14:48:00Z',
    '1728139680000',
    'yesterday',
    '',
    '2024-13-01T00:00:00Z',
    '2024-00-10T00:00:00Z',
    '2024-02-30T00:00:00Z', // not a calendar day
    '2023-02-29T00:00:00Z', // not a leap year
    '2024-04-31T00:00:00Z',
    '2024-10-05T24:00:00Z',
    '2024-10-05T14:60:00Z',
    '2024-10-05T14:48:61Z',
    '2024-10-05T14:48:00+25:00',
    '2024-10-05T14:48:00+05:60',
    '2024-10-05T14:48:00.Z',
  ])('refuses %j', (s) => badInput(() => parseDateTime(s)));

  it('answers a repeated string with a Date of its own, and still refuses a bad one after it', () => {
    const a = parseDateTime('2024-10-05T14:48:00.5Z');
    const b = parseDateTime('2024-10-05T14:48:00.5Z');
    expect(b).not.toBe(a);
    expect(b.toISOString()).toBe('2024-10-05T14:48:00.500Z');
    a.setTime(0); // a caller changing its Date changes nobody else's
    expect(parseDateTime('2024-10-05T14:48:00.5Z').toISOString()).toBe('2024-10-05T14:48:00.500Z');
    badInput(() => parseDateTime('2024-02-30T00:00:00Z'));
    badInput(() => parseDateTime(1728139680000));
  });

  it('refuses non-strings, as values and literals', () => {
    badInput(() => parseDateTime(1728139680000));
    badInput(() => parseDateTime(null));
    badInput(() => DateTimeScalar.parseLiteral({ kind: Kind.INT, value: '1728139680000' }));
    expect((DateTimeScalar.parseLiteral(parseValue('"2024-10-05T14:48:00Z"')) as Date).toISOString()).toBe(
      '2024-10-05T14:48:00.000Z',
    );
  });
});

describe('Long, more edges', () => {
  it('parseValue accepts a bigint inside the range and refuses one outside', () => {
    expect(LongScalar.parseValue(-9223372036854775808n)).toBe(-9223372036854775808n);
    badInput(() => LongScalar.parseValue(9223372036854775808n));
    badInput(() => LongScalar.parseValue(-9223372036854775809n));
  });

  it('names the bad value in the message, cut to 40 characters', () => {
    expect(() => parseLong('12x')).toThrow('"12x"');
    let message = '';
    try {
      parseLong('9'.repeat(100) + 'x');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('"' + '9'.repeat(40) + '"');
    expect(message).not.toContain('9'.repeat(41));
  });

  it('tells to send large numbers as strings', () => {
    expect(() => parseLong(2 ** 60)).toThrow(/as a string/);
    expect(() => LongScalar.parseLiteral(parseValue('9007199254740993'))).toThrow(/as a string/);
  });

  it('refuses list and object literals', () => {
    badInput(() => LongScalar.parseLiteral(parseValue('[1]')));
    badInput(() => LongScalar.parseLiteral(parseValue('{a: 1}')));
    badInput(() => LongScalar.parseLiteral({ kind: Kind.NULL }));
  });

  it('serializes digit strings as they are and refuses other strings and types', () => {
    expect(LongScalar.serialize('-42')).toBe('-42');
    expect(LongScalar.serialize(-9007199254740991)).toBe('-9007199254740991');
    for (const v of ['1.5', '', '01', 'x', null, undefined, {}, 9007199254740992]) {
      expect(() => LongScalar.serialize(v)).toThrow(TypeError);
    }
  });
});

describe('DateTime, more edges', () => {
  it('serializes a Date and a valid string as ISO 8601 in UTC with milliseconds', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)))).toBe('2024-01-02T03:04:05.006Z');
    expect(DateTimeScalar.serialize('2024-01-02T05:04:05+02:00')).toBe('2024-01-02T03:04:05.000Z');
  });

  it('refuses to serialize a bad string (BAD_USER_INPUT) and other types (TypeError)', () => {
    badInput(() => DateTimeScalar.serialize('yesterday'));
    expect(() => DateTimeScalar.serialize(1728139680000)).toThrow(TypeError);
    expect(() => DateTimeScalar.serialize(null)).toThrow(TypeError);
  });

  it('parseValue is parseDateTime', () => {
    expect((DateTimeScalar.parseValue('2024-10-05T14:48:00Z') as Date).getTime()).toBe(Date.UTC(2024, 9, 5, 14, 48));
    badInput(() => DateTimeScalar.parseValue('2024-10-05'));
  });

  it('names the literal kind it refuses', () => {
    expect(() => DateTimeScalar.parseLiteral({ kind: Kind.INT, value: '1' })).toThrow(/IntValue/);
    expect(() => DateTimeScalar.parseLiteral(parseValue('true'))).toThrow(/BooleanValue/);
  });

  it('accepts the extreme offsets and end-of-year instants', () => {
    expect(parseDateTime('2024-12-31T23:59:59.999Z').toISOString()).toBe('2024-12-31T23:59:59.999Z');
    expect(parseDateTime('2025-01-01T00:00:00+23:59').toISOString()).toBe('2024-12-31T00:01:00.000Z');
    expect(parseDateTime('2024-12-31T00:00:00-23:59').toISOString()).toBe('2024-12-31T23:59:00.000Z');
  });
});
