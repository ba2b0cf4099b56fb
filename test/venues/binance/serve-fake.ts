/** Serves the fake Binance futures server until Ctrl+C (docs/live.md: the live path on a laptop). */
import { FakeBinance } from './fake-binance.ts';
import { API_KEY, API_SECRET, DATA } from './harness.ts';

const fake = new FakeBinance({ file: DATA, apiKey: API_KEY, apiSecret: API_SECRET, framesPerTurn: 2 });
const url = await fake.listen();
process.stdout.write(
  `fake Binance USD-M on ${url}\nHFT_BINANCE_USDM_API_KEY=${API_KEY}\nHFT_BINANCE_USDM_API_SECRET=${API_SECRET}\n`,
);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
