// How config checks report problems; a leaf so every check module can use it without cycles.

/** One problem in a config, with the path of the field it is about. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/** Records one problem at a field path. */
export type Report = (path: string, message: string) => void;
