import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';

export interface ChunkingOptions {
  /** Context of the embedding model in tokens (mxbai-embed-large: 512). @default 512 */
  maxTokens?: number;
  /**
   * Conservative characters-per-token estimate. English WordPiece averages about 4 characters a
   * token; 3 leaves room for rare words, numbers and emoji, which take several tokens each.
   * @default 3
   */
  charsPerToken?: number;
  /** Share of a chunk repeated at the start of the next one. @default 0.12 */
  overlapRatio?: number;
}

/** Room kept for the restaurant name and title that are embedded with every chunk. */
const HEADER_ALLOWANCE_TOKENS = 48;

/** Splits texts longer than the embedder's context into overlapping chunks; short texts stay whole. */
export class ReviewChunker {
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  private readonly splitter: RecursiveCharacterTextSplitter;

  constructor(options: ChunkingOptions = {}) {
    const maxTokens = options.maxTokens ?? 512;
    const charsPerToken = options.charsPerToken ?? 3;
    this.chunkSize = Math.max(64, Math.floor((maxTokens - HEADER_ALLOWANCE_TOKENS) * charsPerToken));
    this.chunkOverlap = Math.floor(this.chunkSize * (options.overlapRatio ?? 0.12));
    this.splitter = new RecursiveCharacterTextSplitter({
      chunkSize: this.chunkSize,
      chunkOverlap: this.chunkOverlap,
      separators: ['\n\n', '\n', '. ', '! ', '? ', '; ', ', ', ' ', ''],
      keepSeparator: true,
    });
  }

  async chunk(text: string): Promise<string[]> {
    if (text.length <= this.chunkSize) return [text];
    const chunks = (await this.splitter.splitText(text)).map((chunk) => chunk.trim()).filter((chunk) => chunk.length > 0);
    return chunks.length === 0 ? [text] : chunks;
  }
}
