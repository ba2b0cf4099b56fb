export * from './market.ts';
export * from './orders.ts';
export * from './symbols.ts';
