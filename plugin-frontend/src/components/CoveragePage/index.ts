export { AssetIdCoverageContent, AssetIdCoveragePage, type AssetIdCoverageState } from './CoveragePage';
