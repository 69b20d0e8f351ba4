/** Version of the wire protocol and of the services built from this repository. */
export const PROTOCOL_VERSION = 1;
export const APP_VERSION = '0.1.0';
