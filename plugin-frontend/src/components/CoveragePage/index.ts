export {
  AssetIdCoverageContent,
  AssetIdCoverageNfsPage,
  AssetIdCoveragePage,
  type AssetIdCoverageState,
} from './CoveragePage';
