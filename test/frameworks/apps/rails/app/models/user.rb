class User < ApplicationRecord
  devise :database_authenticatable, :registerable, :confirmable, :lockable, :validatable
end
