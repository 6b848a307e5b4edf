/**
 * Event times in microseconds since the epoch. Client generation times are whole
 * milliseconds (x1000). Times the server makes are strictly increasing within the process,
 * so that "add, then clear, then add" from one instance within one millisecond keeps its
 * order; 2^53 µs lasts until the year 2255, so plain numbers stay exact.
 */
let lastUs = 0;

export function nowUs(): number {
  const t = Date.now() * 1000;
  lastUs = t > lastUs ? t : lastUs + 1;
  return lastUs;
}

export const msToUs = (ms: number): number => ms * 1000;
