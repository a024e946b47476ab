export { ContactKpiOperator, CONTACT_KPI_STATES, contactKpiPlan, type ContactKpiOperatorOptions } from './operator.js';
export { ContactKpiGlobal } from './global.js';
export {
  CONTACT_KPIS_SCHEMA,
  ContactKpiConfigError,
  DEFAULT_CONTACT_KPI_OPTIONS,
  DEFAULT_WINDOW_SIZES_MS,
  FCR_SCOPES,
  SERVICE_LEVEL_CALLBACKS,
  SERVICE_LEVEL_VARIANTS,
  contactKpiOptionsFromConfig,
  resolveContactKpiOptions,
  windowLabels,
  type ContactKpiOptions,
  type FcrScope,
  type ServiceLevelCallbacks,
  type ServiceLevelVariant,
} from './options.js';
export {
  KPI_NAMES,
  MEAN_KPIS,
  RATE_KPIS,
  computeKpiRow,
  isRateKpi,
  rateCounts,
  ratio,
  serviceLevel,
  type ContactKpiRow,
  type KpiName,
  type RateCounts,
  type RateKpi,
} from './kpis.js';
export { classifyContact, type ContactClass, type WindowAcc } from './accumulator.js';
