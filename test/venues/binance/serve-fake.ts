/**
 * Serves the fake Binance server until Ctrl+C (docs/live.md: the live path on a laptop):
 *   node --import tsx test/venues/binance/serve-fake.ts [usdm|spot] [speed] [loop]
 * USD-M futures (default) or spot, the recording paced at `speed` times its own rate (default 1);
 * `loop`: started again at its end (a gap and a resync each time), for soak runs.
 */
import { FakeBinance } from './fake-binance.ts';
import { API_KEY, API_SECRET, DATA, SPOT_DATA } from './harness.ts';

const market = process.argv[2] === 'spot' ? 'spot' : 'usdm';
const speed = Number(process.argv[3] ?? 1);
const fake = new FakeBinance({
  file: market === 'spot' ? SPOT_DATA : DATA,
  apiKey: API_KEY,
  apiSecret: API_SECRET,
  market,
  speed,
  loop: process.argv[4] === 'loop',
});
const url = await fake.listen();
const env = market === 'spot' ? 'HFT_BINANCE_SPOT' : 'HFT_BINANCE_USDM';
process.stdout.write(
  `fake Binance ${market === 'spot' ? 'spot' : 'USD-M'} on ${url}\n${env}_API_KEY=${API_KEY}\n${env}_API_SECRET=${API_SECRET}\n`,
);
process.on('SIGINT', () => void fake.close().then(() => process.exit(0)));
