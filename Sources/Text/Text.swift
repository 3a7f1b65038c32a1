import CICU

/// The version of the system ICU library that Text uses.
public var icuVersion: String { String(cString: parley_icu_version()) }
