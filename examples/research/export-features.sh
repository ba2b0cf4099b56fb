#!/bin/sh
# Writes the lob_core feature time series of one TAIFEX day to Parquet, for a notebook
# (read_features.py reads it with pandas). Run it from a project folder.
#   HFT_DATA_DIR  the folder holding the data samples (docs/data.md); default ../shared/data
#   HFT           how to run the platform's CLI; default npx hft
set -eu
mkdir -p bt/features
${HFT:-npx hft} features compute \
  --data "${HFT_DATA_DIR:-../shared/data}/taifex-txf-20260408.parquet" \
  --out bt/features/txf-20260408.parquet
