//! Free/busy (RFC 4791 §7.10): merging busy occurrences into periods and
//! writing the VFREEBUSY answer.
