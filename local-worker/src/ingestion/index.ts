export { ingestCsv, formatIngestSummary, type IngestCsvOptions, type IngestSummary } from './ingest-csv.js';
export { detectColumns, ColumnMappingError, type ColumnMapping, type ColumnOverrides, type ColumnField } from './column-mapping.js';
export { parseCsv, readCsvFile, InvalidCsvError, type CsvTable } from './csv-reader.js';
export { normalizeRating, normalizeDate } from './normalize.js';
export { ReviewChunker, type ChunkingOptions } from './chunking.js';
export { reviewId, chunkId, reviewIdOf, prepareReviews } from './review-records.js';
