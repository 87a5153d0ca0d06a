/** The runtime-spec version tsrun implements, written into state and default configs. */
export const OCI_VERSION = '1.3.0';
