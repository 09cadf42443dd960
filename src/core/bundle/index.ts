/** Analysis bundles: the versioned, validated, gzip-compressed file that carries an analysis without its models. */
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMATS_READ,
  MODEL_SOURCE_KINDS,
  bundleSchema,
  bundleEntrySchema,
  bundleScoreSchema,
  bundleSettingsSchema,
  modelPairSchema,
  trajectorySchema,
  type AnalysisBundle,
  type BundleEntry,
  type BundleScore,
  type BundleSettings,
  type ModelPairDescription,
} from './schema';
export { BUNDLE_FILE_SUFFIX, BUNDLE_LIMITS, BundleError, decodeBundle, encodeBundle, looksLikeBundle, validateBundle } from './codec';
export { CorruptDataError, SizeLimitError, crc32, gunzipBounded, inflateBounded, isGzip, type DecompressLimits } from './compression';
