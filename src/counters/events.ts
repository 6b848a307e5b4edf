import { randomBytes } from 'node:crypto';
import { msToUs, nowUs } from '../clock';
import type { CounterEvent, NamespaceConfig } from '../model';
import { checkGenerationTime, checkName, checkToken } from '../validate';
import type { TokenInput } from './types';

/**
 * Turns a write's input into the event every mode stores or applies, after the input rules
 * (name, token, generation time within the accept limit). The event's (timeUs, eventId) is
 * its idempotency key: the client's token when it sent one, else one made here that no
 * retry will ever repeat (this process's random id and a sequence number).
 */
export class EventFactory {
  private readonly instanceId = randomBytes(6).toString('base64url');
  private seq = 0;

  make(
    ns: NamespaceConfig,
    input: { name: string; idempotencyToken?: TokenInput | null | undefined },
    /** `unasked`: nobody asks whether the write is a retry (see CounterEvent.unasked). */
    write: { clear: boolean; delta: bigint; unasked?: boolean },
    nowMs = Date.now(),
  ): CounterEvent {
    checkName('name', input.name);
    const token = input.idempotencyToken;
    const { clear, delta } = write;
    if (token) {
      checkToken(token.token);
      checkGenerationTime(token.generationTime, ns, nowMs);
      const event: CounterEvent = { namespace: ns.name, name: input.name, timeUs: msToUs(token.generationTime.getTime()), eventId: token.token, clear, delta };
      if (write.unasked) event.unasked = true;
      return event;
    }
    return { namespace: ns.name, name: input.name, timeUs: nowUs(), eventId: `~${this.instanceId}.${(this.seq++).toString(36)}`, clear, delta, unique: true };
  }
}
