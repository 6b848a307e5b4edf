/** Operation limits and the introspection policy: one set of checks for every transport. */
export { OperationLimits } from './operationLimits';
export { limitsPlugin } from './apollo';
export { withCode } from './messages';
export type { Limits } from './settings';
