/** Trajectory ingestion: the normalised model, the format adapters and the file readers. */
export type { FileError, ParseResult, StreamOptions } from './ingest';
export {
  decideLayout,
  findInvalidUtf8,
  isJsonLinesName,
  JsonlStreamParser,
  parseTrajectoryBytes,
  parseTrajectoryStream,
  parseTrajectoryText,
} from './ingest';
export type { FormatAdapter, Mismatch, ParseContext } from './adapter';
export { adapterById, detectFormat, explainUnknownFormat, FORMAT_ADAPTERS, UnknownFormatError } from './registry';
export { FormatError } from './formats/shape';
export { findJsonSyntaxError, lineColumnOf, type JsonSyntaxError } from './json-syntax';
export type { FormatId, Labels, Message, Role, TokenLogprob, ToolCall, Trajectory } from './types';
