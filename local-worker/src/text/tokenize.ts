import { stemmer } from 'stemmer';

/**
 * Tokenisation shared by the offline embedding model and the BM25 keyword index, so that both
 * see the same terms: Unicode NFKC, lower case, runs of letters/digits as words (joined across
 * in-word apostrophes), each pictographic emoji as its own token, apostrophes dropped
 * (`couldn't` → `couldnt`), English stop words removed, Porter stems for words of ASCII letters
 * (other scripts are kept as written). `spelledWords` keeps the apostrophes for the word vectors,
 * which know `couldn't` as could + not and `children's` as children.
 */

// A compact English stop list: function words, pronouns, auxiliaries and question words, which
// carry no topic in a diner's question ("how", "which", "do") or a review.
const STOP_WORDS = new Set(
  `a about above after again against all also am an and any are arent as at be because been before
  being below between both but by can cant could couldnt did didnt do does doesnt doing dont down
  during each even ever every few for from further get gets got had hadnt has hasnt have havent
  having he hed hell hes her here heres hers herself him himself his how hows i id ill im ive if
  in into is isnt it its itself just lets me more most much must mustnt my myself no nor not of off
  on once only or other ought our ours ourselves out over own really same shant she shed shell
  shes should shouldnt so some such than that thats the their theirs them themselves then there
  theres these they theyd theyll theyre theyve this those through to too under until up upon us
  very was wasnt we wed well were weve werent what whats when whens where wheres which while who
  whos whom why whys will with wont would wouldnt you youd youll youre youve your yours yourself
  yourselves anyone anything anybody someone something somebody tell know think want like wanna
  please place places restaurant restaurants eat eating ate go went going`
    .split(/\s+/)
    .filter(Boolean),
);

const TOKEN_PATTERN = /[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*|\p{Extended_Pictographic}/gu;
/** Typographic apostrophes, read as the ASCII one. */
const APOSTROPHES = /[\u2019\u02bc]/g;
const ASCII_WORD = /^[a-z]+$/;

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word);
}

/**
 * Lower-cased surface words as written, stop words included, in-word apostrophes kept as the
 * ASCII `'` (`Couldn’t` → `couldn't`, `children's`): the form the word vectors look up.
 */
export function spelledWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().replace(APOSTROPHES, "'").match(TOKEN_PATTERN) ?? [];
}

/** A spelled word without its apostrophes (`couldn't` → `couldnt`): the form of stop words and terms. */
export function bareWord(word: string): string {
  return word.includes("'") ? word.replaceAll("'", '') : word;
}

/** Lower-cased surface words without apostrophes, stop words included (for bigrams and character n-grams). */
export function words(text: string): string[] {
  const result = spelledWords(text);
  for (let index = 0; index < result.length; index += 1) result[index] = bareWord(result[index]!);
  return result;
}

/**
 * Normalises one lower-cased word to its index term: the Porter stem, minus the `i` Porter leaves
 * from a final `y`, so adjectives meet their nouns (`greasy`/`grease` → `greas`, `salty`/`salt`,
 * `delivery`/`deliver`).
 */
export function stem(word: string): string {
  if (!ASCII_WORD.test(word) || word.length <= 3) return word;
  const stemmed = stemmer(word);
  return stemmed.length > 3 && stemmed.endsWith('i') ? stemmed.slice(0, -1) : stemmed;
}

/** Index terms: stems of the non-stop words, in order. */
export function terms(text: string): string[] {
  return termsOf(words(text));
}

/** Index terms of words already split by `words` (no apostrophes). */
export function termsOf(bareWords: readonly string[]): string[] {
  const result: string[] = [];
  for (const word of bareWords) {
    if (STOP_WORDS.has(word)) continue;
    if (word.length === 1 && ASCII_WORD.test(word)) continue;
    result.push(stem(word));
  }
  return result;
}
