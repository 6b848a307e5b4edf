/**
 * The time buckets that key the embedded store's events and marks (schema step 3): an event
 * of time t is in bucket floor(t / width). The width is the one recorded in the database
 * (`settings.event_bucket_us`), never a constant of the code: rows already stored are keyed
 * by it.
 */
export const bucketOf = (timeUs: number, widthUs: number): number => Math.floor(timeUs / widthUs);

/** The last microsecond of a bucket: a checkpoint at or after it covers every event of the bucket. */
export const bucketEndUs = (bucket: number, widthUs: number): number => (bucket + 1) * widthUs - 1;
