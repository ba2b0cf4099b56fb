"""Reads the features export-features.sh wrote, in a notebook or a script (pandas, pyarrow).

One row per book update (after each exchange message) and per trade: `exch_ts` and `local_ts`
(exchange and receive time, exact ns since 1970, UTC), `symbol`, `price_scale` (mid and microprice
are in scaled units: divide by it for prices), `event` ('book' or 'trade'), then every feature of
lob_core (NaN while it warms up). Columns: docs/strategies.md, `hft features compute`.
"""

import pandas as pd

df = pd.read_parquet("bt/features/txf-20260408.parquet")
df["time"] = pd.to_datetime(df["exch_ts"], unit="ns", utc=True).dt.tz_convert("Asia/Taipei")
books = df[df["event"] == "book"].set_index("time")
print(books[["spread_ticks", "imbalance_l1", "ofi_5"]].describe())

# One-second bars: does the order-flow imbalance lead the microprice?
bars = books[["microprice", "ofi_5"]].resample("1s").last().dropna()
bars["microprice_change"] = bars["microprice"].diff().shift(-1)
print(bars[["ofi_5", "microprice_change"]].corr())
