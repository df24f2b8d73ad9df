// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {IProviderRegistry} from "../interfaces/IProviderRegistry.sol";

/// @title ProviderRegistrySettings
/// @notice The registry's roles, its admin-set parameters (stake per TU, check-in period,
/// unbonding period, treasury) and the GPU model catalogue with its Turing Unit ratings: what
/// nodes are measured against, apart from the nodes themselves. See {ProviderRegistry}.
abstract contract ProviderRegistrySettings is AccessControlDefaultAdminRules, IProviderRegistry {
    /// @inheritdoc IProviderRegistry
    bytes32 public constant ESCROW_ROLE = keccak256("ESCROW_ROLE");
    /// @inheritdoc IProviderRegistry
    bytes32 public constant CATALOG_ROLE = keccak256("CATALOG_ROLE");
    /// @inheritdoc IProviderRegistry
    bytes32 public constant AUDITOR_ROLE = keccak256("AUDITOR_ROLE");

    /// @inheritdoc IProviderRegistry
    uint32 public constant MAX_MILLI_TU_PER_GPU = 1_000_000;
    /// @inheritdoc IProviderRegistry
    uint16 public constant MAX_GPU_COUNT = 1024;
    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_MIN_STAKE_PER_TU = 1_000_000e18;
    /// @inheritdoc IProviderRegistry
    uint256 public constant MIN_CHECK_IN_PERIOD = 1 hours;
    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_CHECK_IN_PERIOD = 7 days;
    /// @inheritdoc IProviderRegistry
    uint256 public constant MIN_UNBONDING_PERIOD = 1 days;
    /// @inheritdoc IProviderRegistry
    uint256 public constant MAX_UNBONDING_PERIOD = 365 days;
    uint256 private constant _MILLI = 1_000;

    /// @inheritdoc IProviderRegistry
    uint128 public minStakePerTu;
    /// @inheritdoc IProviderRegistry
    uint40 public checkInPeriod;
    /// @inheritdoc IProviderRegistry
    uint40 public unbondingPeriod;
    /// @inheritdoc IProviderRegistry
    address public treasury;

    mapping(bytes32 model => GpuModel) private _models;
    bytes32[] private _modelIds;

    /// @dev Sets the parameters, each within its bounds, and rates the launch catalogue's models.
    constructor(
        uint48 adminDelay,
        address admin,
        uint256 minStakePerTu_,
        uint256 checkInPeriod_,
        uint256 unbondingPeriod_,
        address treasury_
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        _setMinStakePerTu(minStakePerTu_);
        _setCheckInPeriod(checkInPeriod_);
        _setUnbondingPeriod(unbondingPeriod_);
        _setTreasury(treasury_);
        _setModel("GTX 1080 Ti", 1000);
        _setModel("Titan XP", 1110);
        _setModel("V100", 1850);
        _setModel("Titan V", 1410);
        _setModel("Titan RTX", 1550);
        _setModel("RTX 2080", 990);
        _setModel("RTX 2080 Ti", 1350);
    }

    // ---------------------------------------------------------------- parameters

    /// @inheritdoc IProviderRegistry
    function setMinStakePerTu(uint256 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMinStakePerTu(value);
    }

    /// @inheritdoc IProviderRegistry
    function setCheckInPeriod(uint256 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCheckInPeriod(value);
    }

    /// @inheritdoc IProviderRegistry
    function setUnbondingPeriod(uint256 value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setUnbondingPeriod(value);
    }

    /// @inheritdoc IProviderRegistry
    function setTreasury(address value) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setTreasury(value);
    }

    // ---------------------------------------------------------------- catalogue

    /// @inheritdoc IProviderRegistry
    function setModel(bytes32 model, uint32 milliTu) external onlyRole(CATALOG_ROLE) {
        _setModel(model, milliTu);
    }

    /// @inheritdoc IProviderRegistry
    function setModelRetired(bytes32 model, bool retired) external onlyRole(CATALOG_ROLE) {
        if (_models[model].milliTu == 0) revert UnknownModel(model);
        _models[model].retired = retired;
        emit ModelRetirementChanged(model, retired);
    }

    /// @inheritdoc IProviderRegistry
    function gpuModel(bytes32 model) external view returns (GpuModel memory) {
        return _models[model];
    }

    /// @inheritdoc IProviderRegistry
    function catalog() external view returns (bytes32[] memory models, GpuModel[] memory entries) {
        models = _modelIds;
        entries = new GpuModel[](models.length);
        for (uint256 i; i < models.length; ++i) entries[i] = _models[models[i]];
    }

    /// @inheritdoc IProviderRegistry
    function requiredStake(bytes32 model, uint256 gpuCount) external view returns (uint256) {
        (, uint256 stake) = _rate(model, gpuCount);
        return stake;
    }

    // ---------------------------------------------------------------- internal

    /// @dev The rating and the stake of `gpuCount` GPUs of `model`, which must be rated and not
    /// retired.
    function _rate(bytes32 model, uint256 gpuCount) internal view returns (uint32 milliTu, uint256 stake) {
        GpuModel memory m = _models[model];
        if (m.milliTu == 0) revert UnknownModel(model);
        if (m.retired) revert RetiredModel(model);
        if (gpuCount == 0 || gpuCount > MAX_GPU_COUNT) revert GpuCountOutOfRange(gpuCount, MAX_GPU_COUNT);
        milliTu = uint32(m.milliTu * gpuCount);
        stake = Math.mulDiv(minStakePerTu, milliTu, _MILLI, Math.Rounding.Ceil);
    }

    function _setModel(bytes32 model, uint32 milliTu) private {
        if (model == bytes32(0)) revert ZeroModel();
        if (milliTu == 0 || milliTu > MAX_MILLI_TU_PER_GPU) revert RatingOutOfRange(milliTu, MAX_MILLI_TU_PER_GPU);
        if (_models[model].milliTu == 0) _modelIds.push(model);
        _models[model].milliTu = milliTu;
        emit ModelRated(model, milliTu);
    }

    function _setMinStakePerTu(uint256 value) private {
        if (value == 0 || value > MAX_MIN_STAKE_PER_TU)
            revert ParameterOutOfRange("minStakePerTu", value, 1, MAX_MIN_STAKE_PER_TU);
        minStakePerTu = uint128(value);
        emit MinStakePerTuSet(value);
    }

    function _setCheckInPeriod(uint256 value) private {
        if (value < MIN_CHECK_IN_PERIOD || value > MAX_CHECK_IN_PERIOD)
            revert ParameterOutOfRange("checkInPeriod", value, MIN_CHECK_IN_PERIOD, MAX_CHECK_IN_PERIOD);
        checkInPeriod = uint40(value);
        emit CheckInPeriodSet(value);
    }

    function _setUnbondingPeriod(uint256 value) private {
        if (value < MIN_UNBONDING_PERIOD || value > MAX_UNBONDING_PERIOD)
            revert ParameterOutOfRange("unbondingPeriod", value, MIN_UNBONDING_PERIOD, MAX_UNBONDING_PERIOD);
        unbondingPeriod = uint40(value);
        emit UnbondingPeriodSet(value);
    }

    function _setTreasury(address value) private {
        if (value == address(0)) revert ZeroAddress("treasury");
        treasury = value;
        emit TreasurySet(value);
    }
}
