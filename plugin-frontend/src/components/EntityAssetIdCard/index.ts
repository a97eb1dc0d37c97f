export { EntityAssetIdCard, type EntityAssetIdCardProps } from './EntityAssetIdCard';
export type { EntityAssetIdCardState } from './cardState';
