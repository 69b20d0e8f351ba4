import { terms, words } from './tokenize.js';

/**
 * A small diner-domain thesaurus, written for this project: words a diner may use for the same
 * concern as a reviewer ("kids" / "children" / "family", "overpriced" / "expensive" / "value").
 * Each line is one group. Keyword search adds the other words of a query word's groups with a
 * lower weight, so a question about "children" still finds "our kids loved it".
 */
const GROUPS = `
kid kids child children family families toddler toddlers
price prices pricey expensive overpriced cheap value cost costly affordable budget bill
wait waiting waited slow queue forever
late delay delayed delivery delivered arrive arrived
dirty clean hygiene hygienic filthy sticky unclean cockroach
rude friendly staff service waiter waitress server polite attentive
noisy loud quiet noise music conversation
vegan vegans vegetarian plant-based veggie
gluten celiac coeliac allergy allergies allergen allergic
greasy grease oily oil
sweet sugary sugar
salty salt oversalted
spicy spice hot heat
portion portions size small tiny big huge generous
beer beers wine wines drink drinks cocktail cocktails
burnt burned burn charred black
undercooked raw doughy uncooked
fresh canned frozen stale
party parties group groups birthday celebration
romantic date anniversary
night midnight open hours
cold lukewarm warm temperature
dessert desserts sweet cake
`;

/** Per index term: the other terms of its groups, and every surface word of its groups. */
const expansions = new Map<string, { terms: Set<string>; words: Set<string> }>();
for (const line of GROUPS.trim().split('\n')) {
  const groupTerms = [...new Set(terms(line))];
  const groupWords = words(line);
  for (const term of groupTerms) {
    const related = expansions.get(term) ?? { terms: new Set<string>(), words: new Set<string>() };
    for (const other of groupTerms) if (other !== term) related.terms.add(other);
    for (const word of groupWords) related.words.add(word);
    expansions.set(term, related);
  }
}

/** Every surface word of the thesaurus (the word-vector packer keeps their vectors). */
export function thesaurusWords(): string[] {
  return [...new Set(GROUPS.split(/\s+/).filter((word) => word.length > 0))];
}

/** Index terms related to the query's terms (not including the query's own terms). */
export function expandTerms(queryTerms: readonly string[]): string[] {
  const own = new Set(queryTerms);
  const extra = new Set<string>();
  for (const term of queryTerms) for (const related of expansions.get(term)?.terms ?? []) if (!own.has(related)) extra.add(related);
  return [...extra];
}

/**
 * The surface words of the groups of the query's terms, for the word vectors (which know words,
 * not stems): `children` → `kid`, `kids`, `child`, `children`, `family`, ….
 */
export function expandWords(queryTerms: readonly string[]): string[] {
  const related = new Set<string>();
  for (const term of queryTerms) for (const word of expansions.get(term)?.words ?? []) related.add(word);
  return [...related];
}
