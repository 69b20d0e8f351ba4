/**
 * `npx tsx --conditions=development scripts/src/generate-sample-data.ts [--out data/sample] [--seed 20241122]`
 *
 * Writes the project's own sample data set: `reviews.csv` (reviews of six fictional restaurants,
 * composed from sentence pools written for this project) and `questions.json` (diner questions with
 * the 0-based rows of the reviews that answer them, known exactly because the generator records
 * which topics each review covers). Deterministic: the same seed gives the same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRandom } from '@review-assistant/shared';

type Topic = 'food' | 'service' | 'delivery' | 'vegan' | 'price' | 'wait' | 'noise' | 'kids' | 'cleanliness';
type Tone = 'positive' | 'negative';

interface Restaurant {
  name: string;
  cuisine: string;
  /** Typical rating, 1–5. */
  quality: number;
  dishes: string[];
  veganDish: string | null;
  price: string;
}

const RESTAURANTS: Restaurant[] = [
  { name: 'Casa Lumbre', cuisine: 'Mexican', quality: 4.2, dishes: ['birria tacos', 'mole poblano', 'jalapeño poppers', 'churros with cajeta'], veganDish: 'jackfruit carnitas tacos', price: '$$' },
  { name: 'Saffron Lantern', cuisine: 'Indian', quality: 3.9, dishes: ['lamb biryani', 'paneer tikka', 'garlic naan', 'mango lassi'], veganDish: 'chana masala made with coconut oil', price: '$$' },
  { name: 'Nordlys Café', cuisine: 'Scandinavian brunch', quality: 4.4, dishes: ['cardamom buns', 'smoked salmon smørrebrød', 'rye porridge', 'lingonberry pancakes'], veganDish: 'beetroot toast with oat crème', price: '$' },
  { name: 'Umami Alley', cuisine: 'Japanese ramen', quality: 3.6, dishes: ['tonkotsu ramen', 'pork gyoza', 'chicken karaage', 'matcha soft serve'], veganDish: 'miso mushroom ramen', price: '$$' },
  { name: 'Trattoria Nonna Pia', cuisine: 'Italian', quality: 3.3, dishes: ['cacio e pepe', 'osso buco', 'tiramisù', 'burrata salad'], veganDish: null, price: '$$$' },
  { name: 'The Smoke Shack', cuisine: 'barbecue', quality: 3.0, dishes: ['brisket platter', 'pulled pork sandwich', 'mac and cheese', 'burnt ends'], veganDish: null, price: '$$' },
];

// Sentence pools, written for this project. {dish}, {dish2}, {vegan}, {name}, {price} are filled in.
const SENTENCES: Record<Topic, Record<Tone, string[]>> = {
  food: {
    positive: [
      'The {dish} was the best thing on the table, rich and perfectly seasoned.',
      'We shared the {dish} and the {dish2}; both plates came back empty.',
      'Honestly the {dish} alone is worth the trip 😋',
      'Everything tasted fresh and the {dish} had real depth of flavour.',
      'My partner is still talking about the {dish2}.',
    ],
    negative: [
      'The {dish} arrived lukewarm and tasted like it had been sitting under a lamp.',
      'The {dish2} was bland and oddly salty at the same time.',
      'Portions of {dish} were tiny and the flavour was flat.',
      'I sent the {dish} back because it was undercooked in the middle.',
    ],
  },
  service: {
    positive: [
      'Our server was warm, quick and knew the menu inside out.',
      'The staff checked on us without hovering and refilled water before we asked.',
      'The host remembered us from last time, which was a lovely touch 👍',
    ],
    negative: [
      'The waiter was rude when we asked about ingredients and rolled his eyes at us.',
      'We had to flag someone down three times just to order drinks; the staff seemed uninterested.',
      'Service was slow and careless; our bill had someone else’s dishes on it.',
    ],
  },
  delivery: {
    positive: [
      'Ordered delivery on a rainy night and it arrived hot in under 30 minutes.',
      'The delivery packaging kept everything crisp, nothing leaked.',
    ],
    negative: [
      'Our delivery showed up an hour and a half late and completely cold.',
      'The delivery driver left the bag at the wrong door and half the order was missing.',
      'Delivery took forever and the sauce had leaked all over the bag.',
    ],
  },
  vegan: {
    positive: [
      'As a vegan I was thrilled: the {vegan} was hearty and clearly labelled on the menu 🌱',
      'They have proper vegan options, and the {vegan} was as good as anything my meat-eating friends ordered.',
      'Staff knew exactly which dishes were plant-based and recommended the {vegan}.',
    ],
    negative: [
      'There is basically nothing vegan here apart from a side salad; not great for plant-based diners.',
      'I asked for a vegan option and was offered plain rice. Disappointing for vegetarians and vegans alike.',
    ],
  },
  price: {
    positive: [
      'Very reasonable prices for the quality; we ate well for under $20 each.',
      'Good value: generous plates at a fair price.',
    ],
    negative: [
      'It is overpriced for what you get — {price} prices for small plates.',
      'The bill was shocking; $18 for a side dish felt like a rip-off.',
    ],
  },
  wait: {
    positive: ['We walked in on a Friday and were seated within five minutes.', 'Food came out fast, even though the room was full.'],
    negative: [
      'We waited over an hour for a table even with a reservation.',
      'The kitchen took 50 minutes to send out our mains, with no apology.',
    ],
  },
  noise: {
    positive: ['It is quiet enough to actually hold a conversation, perfect for a date night.', 'Soft music and a calm room; great for a relaxed dinner.'],
    negative: ['It is so loud you have to shout across the table; not a place for a quiet date.', 'The music was deafening and the room echoes badly.'],
  },
  kids: {
    positive: [
      'Very family friendly: high chairs, crayons and a kids menu that our children loved.',
      'The staff were patient with our toddler and brought his food first.',
    ],
    negative: ['Not great with kids — no high chairs and the staff sighed at our stroller.', 'There is no children’s menu and nothing mild enough for little ones.'],
  },
  cleanliness: {
    positive: ['Spotless tables and clean restrooms, which says a lot about the kitchen.'],
    negative: ['The tables were sticky and the restroom was dirty; hygiene clearly isn’t a priority.', 'I saw a cockroach near the counter. Hard to enjoy a meal after that 🤢'],
  },
};

const TITLES: Record<Tone, string[]> = {
  positive: ['Lovely evening', 'Will be back', 'A new favourite', 'Great {topic}', 'Pleasant surprise ✨', 'Solid choice'],
  negative: ['Disappointed', 'Not again', 'Poor {topic}', 'Expected better', 'Let down', 'Mixed feelings'],
};

const TOPIC_WORDS: Record<Topic, string> = {
  food: 'food', service: 'service', delivery: 'delivery', vegan: 'vegan options', price: 'value', wait: 'wait times', noise: 'atmosphere', kids: 'family visit', cleanliness: 'hygiene',
};

const FIRST = ['Amara', 'Jonas', 'Priya', 'Mateo', 'Sofia', 'Kenji', 'Lena', 'Omar', 'Chloé', 'Ravi', 'Ingrid', 'Tomás', 'Yuki', 'Noah', 'Zeynep', 'Felix', 'Aisha', 'Björn', 'Lucía', 'Dev'];
const LAST = ['Okafor', 'Lindqvist', 'Raman', 'García', 'Rossi', 'Tanaka', 'Müller', 'Haddad', 'Dubois', 'Iyer', 'Berg', 'Silva', 'Sato', 'Walsh', 'Demir', 'Novak'];

interface GeneratedReview {
  restaurant: Restaurant;
  reviewer: string;
  date: string;
  rating: number;
  title: string;
  review: string;
  topics: Map<Topic, Tone>;
}

function generate(seed: number, count: number): GeneratedReview[] {
  const next = createRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const reviews: GeneratedReview[] = [];
  const allTopics = Object.keys(SENTENCES) as Topic[];
  for (let index = 0; index < count; index += 1) {
    const restaurant = RESTAURANTS[index % RESTAURANTS.length]!;
    let rating = Math.round(Math.min(5, Math.max(1, restaurant.quality + (next() - 0.5) * 3.2)) * 2) / 2;
    if (next() < 0.75) rating = Math.round(rating); // most ratings are whole stars, some keep the half
    const overall: Tone = rating >= 3.5 ? 'positive' : rating <= 2.5 ? 'negative' : next() < 0.5 ? 'positive' : 'negative';
    const long = index % 37 === 11; // a few long reviews exercise chunking
    const topicCount = long ? allTopics.length : 2 + Math.floor(next() * 3);
    const topics = new Map<Topic, Tone>([['food', overall]]);
    while (topics.size < topicCount) {
      const topic = pick(allTopics);
      if (topic === 'vegan' && restaurant.veganDish === null && next() < 0.5) continue;
      // mostly in line with the rating, sometimes against it ("great food, awful service")
      topics.set(topic, next() < 0.8 ? overall : overall === 'positive' ? 'negative' : 'positive');
    }
    if (restaurant.veganDish === null && topics.get('vegan') === 'positive') topics.set('vegan', 'negative');
    const fill = (sentence: string): string => {
      const first = pick(restaurant.dishes);
      const second = pick(restaurant.dishes.filter((dish) => dish !== first));
      return sentence
        .replaceAll('{dish}', first)
        .replaceAll('{dish2}', second)
        .replaceAll('{vegan}', restaurant.veganDish ?? 'salad')
        .replaceAll('{name}', restaurant.name)
        .replaceAll('{price}', restaurant.price);
    };
    const paragraphs: string[] = [];
    for (const [topic, tone] of topics) {
      const pool = SENTENCES[topic][tone];
      if (long) {
        // every sentence of the topic plus a reflection, so the review runs well past 512 tokens
        paragraphs.push(
          [
            ...pool.map(fill),
            `Thinking back on the ${TOPIC_WORDS[topic]} at ${restaurant.name}, I keep comparing it with other ${restaurant.cuisine} places in town, and this visit left a ${tone === 'positive' ? 'warm' : 'sour'} impression that I wanted to describe in detail for anyone deciding where to go.`,
          ].join(' '),
        );
      } else {
        paragraphs.push(fill(pick(pool)));
      }
    }
    const review = long ? `${paragraphs.join('\n\n')}\n\nOverall: ${rating} out of 5 for ${restaurant.name}.` : paragraphs.join(' ');
    const mainTopic = [...topics].find(([topic, tone]) => topic !== 'food' && tone === overall)?.[0] ?? 'food';
    const day = new Date(Date.UTC(2023, 0, 1) + Math.floor(next() * 730) * 86_400_000).toISOString().slice(0, 10);
    reviews.push({
      restaurant,
      reviewer: `${pick(FIRST)} ${pick(LAST).slice(0, 1)}.`,
      date: day,
      rating,
      title: pick(TITLES[overall]).replace('{topic}', TOPIC_WORDS[mainTopic]),
      review,
      topics,
    });
  }
  return reviews;
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

interface Question {
  question: string;
  rows: number[];
  filters?: { restaurant?: string; minRating?: number };
}

const QUESTION_TEXT: Partial<Record<Topic, (name: string) => string>> = {
  vegan: (name) => `Does ${name} have good vegan options?`,
  delivery: (name) => `How is delivery from ${name}, does it arrive on time?`,
  service: (name) => `Are the staff at ${name} friendly or rude?`,
  price: (name) => `Is ${name} overpriced or good value?`,
  wait: (name) => `How long is the wait for a table or food at ${name}?`,
  noise: (name) => `Is ${name} quiet enough for a date or too loud?`,
  kids: (name) => `Is ${name} a good place to bring children?`,
  cleanliness: (name) => `Is ${name} clean and hygienic?`,
};

function questionsFor(reviews: GeneratedReview[]): Question[] {
  const questions: Question[] = [];
  for (const restaurant of RESTAURANTS) {
    for (const [topic, text] of Object.entries(QUESTION_TEXT) as [Topic, (name: string) => string][]) {
      const rows = reviews.flatMap((review, row) => (review.restaurant === restaurant && review.topics.has(topic) ? [row] : []));
      if (rows.length === 0) continue;
      questions.push({ question: text(restaurant.name), rows, filters: { restaurant: restaurant.name } });
    }
  }
  const across = (question: string, topic: Topic, tone: Tone): void => {
    const rows = reviews.flatMap((review, row) => (review.topics.get(topic) === tone ? [row] : []));
    if (rows.length > 0) questions.push({ question, rows });
  };
  across('Which restaurant has good food for vegans?', 'vegan', 'positive');
  across('Where did delivery arrive late or cold?', 'delivery', 'negative');
  across('Which place is quiet enough for a date night?', 'noise', 'positive');
  across('Where were the staff rude?', 'service', 'negative');
  across('Any reports of dirty tables or bad hygiene?', 'cleanliness', 'negative');
  across('Which restaurants are family friendly with a kids menu?', 'kids', 'positive');
  const dish = (name: string, restaurant: Restaurant): void => {
    const rows = reviews.flatMap((review, row) => (review.restaurant === restaurant && review.review.includes(name) ? [row] : []));
    if (rows.length > 0) questions.push({ question: `What do people say about the ${name}?`, rows });
  };
  for (const restaurant of RESTAURANTS) dish(restaurant.dishes[0]!, restaurant);
  return questions;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'data/sample' }, seed: { type: 'string', default: '20241122' }, count: { type: 'string', default: '180' } } });
  const seed = Number(values.seed);
  const count = Number(values.count);
  if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) throw new Error('--seed and --count must be integers');
  const reviews = generate(seed, count);
  const lines = ['id,restaurant,reviewer,date,rating,title,review'];
  reviews.forEach((review, row) => {
    lines.push([`r${String(row + 1).padStart(4, '0')}`, review.restaurant.name, review.reviewer, review.date, review.rating, review.title, review.review].map(csvField).join(','));
  });
  await mkdir(values.out, { recursive: true });
  await writeFile(join(values.out, 'reviews.csv'), `${lines.join('\r\n')}\r\n`);
  const questions = {
    description: 'Diner questions about data/sample/reviews.csv with the 0-based data rows (header excluded) of the reviews that answer them. Generated by scripts/src/generate-sample-data.ts from the topics each review was composed of.',
    source: 'reviews.csv',
    questions: questionsFor(reviews),
    unrelated: ["How do I fix my car's brakes?", 'What is the capital of Australia?', 'Can you recommend a laptop for programming?', 'How many moons does Jupiter have?'],
  };
  await writeFile(join(values.out, 'questions.json'), `${JSON.stringify(questions, null, 2)}\n`);
  console.log(`wrote ${reviews.length} reviews of ${RESTAURANTS.length} restaurants and ${questions.questions.length} questions to ${values.out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
