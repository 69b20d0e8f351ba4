/** Version of the services built from this repository (reported in health and heartbeats). */
export const APP_VERSION = '0.1.0';
