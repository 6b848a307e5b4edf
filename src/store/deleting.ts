import { CounterError, ErrorCode } from '../errors';

/**
 * createNamespace of a name whose deletion has not finished: every store refuses it alike.
 * The name is free again once the background removal has dropped the tombstoned row.
 */
export const namespaceBeingDeleted = (name: string): CounterError =>
  new CounterError(ErrorCode.NamespaceConflict, `namespace ${JSON.stringify(name)} is being deleted; retry later`, { namespace: name, deleting: true });

/** Whether an error is namespaceBeingDeleted's (wherever it was thrown). */
export const isBeingDeleted = (err: unknown): boolean =>
  err instanceof CounterError && err.code === ErrorCode.NamespaceConflict && err.extensions['deleting'] === true;
