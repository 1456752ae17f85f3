/** Normalized kernel shapes, as the backends receive them after validation. */
export interface MatmulShape { m: number; k: number; n: number; transA: boolean; transB: boolean }
export interface RowsShape { rows: number; dim: number }
export interface MatShape { rows: number; cols: number }
export interface AttentionShape { seqQ: number; seqK: number; dim: number; dimV: number; causal: boolean; scale: number }
export interface LoraShape { batch: number; dIn: number; dOut: number; rank: number; scale: number }
export type BinaryOp = 'add' | 'mul';
export type UnaryOp = 'relu' | 'sigmoid' | 'gelu';
export type ReduceOp = 'sum' | 'max' | 'min' | 'mean';

