class HomeController < ApplicationController
  def index
    render html: helpers.safe_join([
      helpers.link_to("Sign up", new_user_registration_path), " ",
      user_signed_in? ? "signed in as #{current_user.email}" : helpers.link_to("Log in", new_user_session_path)
    ])
  end
end
