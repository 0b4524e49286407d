/** A connection read from an app's own configuration: the URL (may hold a password) and where it came from. */
export interface AppConfigFound {
  /** "app config: config/database.yml (RAILS_ENV=production)": said in every report header. */
  source: `app config: ${string}`;
  url: string;
}
