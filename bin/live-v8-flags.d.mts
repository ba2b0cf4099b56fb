export declare const LIVE_V8_FLAGS: readonly string[];
export declare function isLiveRun(args: readonly string[]): boolean;
