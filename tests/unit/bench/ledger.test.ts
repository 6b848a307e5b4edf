import { LedgerBook } from '../../../bench/ledger';

describe('LedgerBook (what a load agent sent and saw acknowledged)', () => {
  it('counts sent increments per counter and acknowledged ones in total', () => {
    const b = new LedgerBook();
    b.sentWrites(['a']);
    b.sentWrites(['a', 'b', 'b']);
    b.answered(200, '{"data":{"addCount":{"applied":true}}}');
    b.answered(200, '{"data":{"addCounts":{"acceptedCount":3,"rejectedCount":0}}}');
    expect(b.toJSON()).toEqual({ sent: { a: 2, b: 2 }, acked: 4, complete: true, exact: true });
  });

  it('is not exact when items were refused, but still complete', () => {
    const b = new LedgerBook();
    b.sentWrites(['a', 'b']);
    b.answered(200, '{"data":{"addCounts":{"acceptedCount":1,"rejectedCount":1}}}');
    expect(b.toJSON()).toMatchObject({ acked: 1, complete: true, exact: false });
  });

  it('counts a refused addCount and a failed response as nothing acknowledged', () => {
    const b = new LedgerBook();
    b.sentWrites(['a']);
    b.sentWrites(['a']);
    b.answered(200, '{"errors":[{"extensions":{"code":"UNAVAILABLE"}}],"data":null}');
    b.answered(503, '{"data":{"addCount":{"applied":true}}}');
    expect(b.toJSON()).toMatchObject({ acked: 0, complete: true, exact: false });
  });

  it('is incomplete while a request has no response (in flight at the end, timed out)', () => {
    const b = new LedgerBook();
    b.sentWrites(['a']);
    b.sentWrites(['b']);
    b.answered(200, '{"data":{"addCount":{"applied":true}}}');
    expect(b.toJSON()).toMatchObject({ acked: 1, complete: false, exact: false });
  });

  it('ignores reads: no writes sent, none acknowledged', () => {
    const b = new LedgerBook();
    b.sentWrites([]);
    b.answered(200, '{"data":{"counter":{"count":"7"}}}');
    expect(b.toJSON()).toEqual({ sent: {}, acked: 0, complete: true, exact: true });
  });
});
