<!DOCTYPE html>
<html>
<head><title>Register</title><meta name="csrf-token" content="{{ csrf_token() }}"></head>
<body>
<h1>Register</h1>
@if ($errors->any())
    <ul class="invalid-feedback">
        @foreach ($errors->all() as $error)<li>{{ $error }}</li>@endforeach
    </ul>
@endif
<form method="POST" action="/register">
    @csrf
    <label>Name <input type="text" name="name" value="{{ old('name') }}" autocomplete="name" required></label>
    <label>Email <input type="email" name="email" value="{{ old('email') }}" autocomplete="email" required></label>
    <label>Password <input type="password" name="password" autocomplete="new-password" required></label>
    <label>Confirm Password <input type="password" name="password_confirmation" autocomplete="new-password" required></label>
    <button type="submit">Register</button>
</form>
</body>
</html>
