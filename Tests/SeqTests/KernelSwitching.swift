import Testing

/// The suites whose tests switch the process-wide kernel forms (`GEMM.usesAVX512Kernels`,
/// `GEMM.usesAVX2Kernels`), nested here so that they run one test at a time, one suite after
/// another (the trait applies to everything inside): run side by side, one suite's switch
/// changed the form under another's test (a fused step declined when the AVX2 form went off).
@Suite(.serialized) enum KernelSwitching {}
