/** PromQL value types, as Prometheus names them in its errors. */
export type ValueType = 'scalar' | 'instant vector' | 'range vector' | 'string';

export interface FunctionSignature {
  args: ValueType[];
  /** Arguments that may be left out at the end (e.g. `hour()` defaults to `vector(time())`). */
  optional?: number;
  /** The last argument may repeat (label_join's source labels). */
  variadic?: boolean;
  returns: ValueType;
}

const V: ValueType = 'instant vector';
const M: ValueType = 'range vector';
const S: ValueType = 'scalar';
const STR: ValueType = 'string';

const vectorMath = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { args: [V], returns: V }]));
const overTime = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { args: [M], returns: V }]));
const calendar = (...names: string[]) => Object.fromEntries(names.map((n) => [n, { args: [V], optional: 1, returns: V }]));

/** The functions of Prometheus 2.42 (the version the rule validation is checked against) and their signatures. */
export const PROMQL_FUNCTIONS: Record<string, FunctionSignature> = {
  ...vectorMath(
    'abs',
    'absent',
    'acos',
    'acosh',
    'asin',
    'asinh',
    'atan',
    'atanh',
    'ceil',
    'cos',
    'cosh',
    'deg',
    'exp',
    'floor',
    'histogram_count',
    'histogram_sum',
    'ln',
    'log10',
    'log2',
    'rad',
    'sgn',
    'sin',
    'sinh',
    'sort',
    'sort_desc',
    'sqrt',
    'tan',
    'tanh',
    'timestamp',
  ),
  ...overTime(
    'absent_over_time',
    'avg_over_time',
    'changes',
    'count_over_time',
    'delta',
    'deriv',
    'idelta',
    'increase',
    'irate',
    'last_over_time',
    'max_over_time',
    'min_over_time',
    'present_over_time',
    'rate',
    'resets',
    'stddev_over_time',
    'stdvar_over_time',
    'sum_over_time',
  ),
  ...calendar('days_in_month', 'day_of_month', 'day_of_week', 'day_of_year', 'hour', 'minute', 'month', 'year'),
  clamp: { args: [V, S, S], returns: V },
  clamp_max: { args: [V, S], returns: V },
  clamp_min: { args: [V, S], returns: V },
  histogram_fraction: { args: [S, S, V], returns: V },
  histogram_quantile: { args: [S, V], returns: V },
  holt_winters: { args: [M, S, S], returns: V },
  label_join: { args: [V, STR, STR, STR], optional: 1, variadic: true, returns: V },
  label_replace: { args: [V, STR, STR, STR, STR], returns: V },
  pi: { args: [], returns: S },
  predict_linear: { args: [M, S], returns: V },
  quantile_over_time: { args: [S, M], returns: V },
  round: { args: [V, S], optional: 1, returns: V },
  scalar: { args: [V], returns: S },
  time: { args: [], returns: S },
  vector: { args: [S], returns: V },
};

/** Aggregations that take a parameter before the vector, and its type. */
export const AGGREGATION_PARAMETERS: Record<string, ValueType> = {
  topk: S,
  bottomk: S,
  quantile: S,
  count_values: STR,
};
