import { freshPrefix } from '../../integration/helpers/redis';
import { clusterNodesSetting } from './redisCluster';

/**
 * Imported before a suite of tests/integration that starts its servers from the environment
 * (startServer reads process.env): they then run with their caches and pub/sub on the Redis
 * Cluster, under a fresh key prefix (exported for the cleanup).
 */
delete process.env.REDIS_URL; // one Redis or a cluster, never both (config refuses it)
process.env.REDIS_CLUSTER_NODES = clusterNodesSetting();
export const clusterPrefix = freshPrefix();
process.env.REDIS_KEY_PREFIX = clusterPrefix;
