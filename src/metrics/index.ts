export { createMetrics, DURATION_BUCKETS, type MetricsDeps, type VitalsMetrics } from './metrics.js';
