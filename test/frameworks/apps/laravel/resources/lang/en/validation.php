<?php

// The lines of Laravel 8's skeleton resources/lang/en/validation.php for the rules this app uses (the framework
// ships no messages of its own; every app carries this file).
return [
    'confirmed' => 'The :attribute confirmation does not match.',
    'email' => 'The :attribute must be a valid email address.',
    'max' => ['string' => 'The :attribute must not be greater than :max characters.'],
    'min' => ['string' => 'The :attribute must be at least :min characters.'],
    'required' => 'The :attribute field is required.',
    'string' => 'The :attribute must be a string.',
    'unique' => 'The :attribute has already been taken.',
    'attributes' => [],
];
