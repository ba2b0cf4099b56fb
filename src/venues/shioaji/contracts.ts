import type { SymbolSpec } from '../../contracts/symbols.ts';
import { UserError } from '../../core/errors.ts';
import type { ContractBody, ContractRef } from './protocol.ts';

/** TAIFEX month letters: A = January ... L = December (futures; calls of options use the same). */
const MONTHS = 'ABCDEFGHIJKL';

/** `TXF` + `202604` -> `TXFD6`. */
export function futuresCode(root: string, deliveryMonth: string): string {
  const m = Number(deliveryMonth.slice(4, 6));
  if (!/^\d{6}$/.test(deliveryMonth) || m < 1 || m > 12) {
    throw new Error(`bad delivery month '${deliveryMonth}' (want YYYYMM)`);
  }
  return `${root}${MONTHS[m - 1]}${deliveryMonth.charAt(3)}`;
}

/** `TXFD6` -> { root TXF, month 4, yearDigit 6 }; null when not a month code. */
export function parseFuturesCode(code: string): { root: string; month: number; yearDigit: number } | null {
  const m = /^([A-Z0-9]{2,4}?)([A-L])(\d)$/.exec(code);
  if (m === null) return null;
  return { root: m[1], month: MONTHS.indexOf(m[2]) + 1, yearDigit: Number(m[3]) };
}

/** `TXFR1` / `TXFR2`: continuous near / next month, resolved by the server to a target code. */
export function isContinuous(code: string): boolean {
  return /^[A-Z0-9]{2,4}R[12]$/.test(code);
}

/** How one of our symbols is addressed at Shioaji. */
export interface ShioajiContract {
  symbolId: number;
  /** Our code (config/symbols.yaml). */
  code: string;
  /** Code sent in orders and subscriptions (our code, or a continuous alias like TXFR1). */
  venueCode: string;
  /** Concrete code the server puts in market data and deals (TXFF6 for TXFR1). */
  concreteCode: string;
  /** Set for continuous aliases: subscriptions must carry it (reference §3). */
  targetCode: string | null;
  securityType: 'FUT' | 'OPT' | 'STK';
  exchange: 'TAIFEX' | 'TSE' | 'OTC';
  /** Shares per board lot for stocks (orders in lots), 1 otherwise. */
  lot: number;
}

/** The request half of a contract (before the server's answer). */
export function contractRequest(spec: SymbolSpec, venueCode: string): Omit<ShioajiContract, 'concreteCode'> {
  const base = { symbolId: spec.id, code: spec.code, venueCode, targetCode: null };
  switch (spec.type) {
    case 'future':
      return { ...base, securityType: 'FUT', exchange: 'TAIFEX', lot: 1 };
    case 'option':
      return { ...base, securityType: 'OPT', exchange: 'TAIFEX', lot: 1 };
    case 'stock':
      if (spec.exchange !== 'TWSE' && spec.exchange !== 'TPEX')
        throw new UserError(`shioaji: stock ${spec.code} is on ${spec.exchange}, not TWSE or TPEx`);
      return { ...base, securityType: 'STK', exchange: spec.exchange === 'TWSE' ? 'TSE' : 'OTC', lot: 1000 };
    default:
      throw new UserError(
        `shioaji: ${spec.code} is a ${spec.type} instrument; Shioaji trades TAIFEX and TWSE/TPEx`,
      );
  }
}

/**
 * Completes a contract with the server's answer to GET /data/contracts/{code}: a continuous alias
 * resolves to its target code, which must be the symbol configured (our positions and fees are for
 * that month) unless the configured symbol is the alias itself.
 */
export function resolveContract(
  req: Omit<ShioajiContract, 'concreteCode'>,
  body: ContractBody,
): ShioajiContract {
  if (isContinuous(req.venueCode)) {
    const target = body.target_code;
    if (typeof target !== 'string' || target === '')
      throw new UserError(`shioaji: contract ${req.venueCode} has no target_code in the server's answer`);
    if (req.code !== req.venueCode && target !== req.code)
      throw new UserError(
        `shioaji: ${req.venueCode} is ${target} today, but it is mapped to ${req.code}; ` +
          `map ${target} in config/symbols.yaml or change shioaji.contracts.${req.code}`,
      );
    return { ...req, concreteCode: target, targetCode: target };
  }
  if (body.code !== req.venueCode)
    throw new UserError(`shioaji: asked for contract ${req.venueCode}, the server answered ${body.code}`);
  return { ...req, concreteCode: body.code };
}

/** The contract part of an order or subscription body. */
export function contractRef(c: ShioajiContract): ContractRef {
  const ref: ContractRef = { security_type: c.securityType, exchange: c.exchange, code: c.venueCode };
  if (c.targetCode !== null) ref.target_code = c.targetCode;
  return ref;
}

/**
 * Concrete code of a futures/options deal or order event: `full_code` when present, else the root
 * `code` with `delivery_month` (reference §7.6: futures events carry the root, e.g. `TXF`).
 */
export function eventCode(p: { code?: unknown; full_code?: unknown; delivery_month?: unknown }): string {
  if (typeof p.full_code === 'string' && p.full_code !== '') return p.full_code;
  const code = typeof p.code === 'string' ? p.code : '';
  if (typeof p.delivery_month === 'string' && /^\d{6}$/.test(p.delivery_month) && /^[A-Z]{3}$/.test(code))
    return futuresCode(code, p.delivery_month);
  return code;
}
