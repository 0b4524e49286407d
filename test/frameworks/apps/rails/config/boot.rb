# Debian's packaged gems only: no Bundler, no Gemfile resolution, nothing fetched. Each gem is required by name.
ENV["RAILS_ENV"] ||= "production"
