/** Typed event bus from the engine to whichever transports are listening. */
import { EventEmitter } from 'node:events';
import type { EventName, EventPayload } from '@shared/contract';

export type AnyEventListener = (event: EventName, payload: unknown) => void;

export class EngineEvents {
  private readonly emitter = new EventEmitter();
  constructor() {
    this.emitter.setMaxListeners(100);
  }
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    this.emitter.emit('event', event, payload);
  }
  /** Subscribe to every event (transports forward them all). Returns the unsubscribe function. */
  onAny(listener: AnyEventListener): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.onAny((name, payload) => {
      if (name === event) listener(payload as EventPayload<E>);
    });
  }
}
